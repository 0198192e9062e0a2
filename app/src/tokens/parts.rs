//! What both token sections share: the table, the fields of the create
//! form, and the panel that shows a new secret once.

use super::api::{CreatedToken, RevokeToken};
use crate::components::{FieldError, FormErrors, TextField};
use leptos::form::ActionForm;
use leptos::prelude::*;
use slipway_domain::read::{TokenStatus, TokenView};
use slipway_domain::token::{TokenKind, TokenScope, DEFAULT_LIFETIME_DAYS};

/// The lifetimes offered, in days. Those over the installation's maximum
/// are left out, and the maximum itself is offered instead.
const LIFETIMES: [u32; 4] = [7, 30, 90, 365];

/// The name, scope and lifetime fields of a create form. `prefix` keeps
/// element ids apart when two forms could share a page.
#[component]
pub(super) fn TokenFields(
    errors: FormErrors,
    max_days: u32,
    prefix: &'static str,
    name_hint: &'static str,
) -> impl IntoView {
    let scopes_id = format!("{prefix}-scopes");
    let scopes_error = format!("{prefix}-scopes-error");
    let lifetime_id = format!("{prefix}-expires-in");
    let lifetime_hint = format!("{prefix}-expires-in-hint");
    let lifetime_error = format!("{prefix}-expires-in-error");
    let lifetime_described = {
        let (hint, error) = (lifetime_hint.clone(), lifetime_error.clone());
        move || match errors.field("expires_in") {
            Some(_) => format!("{hint} {error}"),
            None => hint.clone(),
        }
    };
    let scopes_described = {
        let error = scopes_error.clone();
        move || errors.field("scopes").is_some().then(|| error.clone())
    };
    let (options, default) = lifetimes(max_days);
    view! {
        <TextField label="Name" name="name" error_key="name" errors required=true maxlength=80
            id=format!("{prefix}-name") hint=name_hint/>
        <fieldset class="token-scopes" id=scopes_id aria-describedby=scopes_described data-test="token-scopes">
            <legend>"What it may do"</legend>
            {TokenScope::ALL.into_iter().map(|scope| {
                let always = scope == TokenScope::Read;
                view! {
                    <div class="field checkbox">
                        <label>
                            <input type="checkbox" name="scopes[]" value=scope.as_str()
                                checked=always disabled=always/>
                            <span>
                                {scope.label()}
                                " " <code class="muted">{scope.as_str()}</code>
                                {always.then(|| view! { <span class="muted">" (always)"</span> })}
                            </span>
                        </label>
                    </div>
                }
            }).collect_view()}
            <FieldError errors error_key="scopes" id=scopes_error/>
        </fieldset>
        <div class="field">
            <label for=lifetime_id.clone()>"Expires after"</label>
            <p class="hint" id=lifetime_hint>
                {format!("The token stops working by itself then; make a new one before that. This Slipway allows at most {max_days} days.")}
            </p>
            <select id=lifetime_id name="expires_in" data-test="token-lifetime"
                aria-invalid=move || errors.field("expires_in").is_some().then_some("true")
                aria-describedby=lifetime_described>
                {options.into_iter().map(|days| view! {
                    <option value=format!("{days}d") selected=days == default>{days_label(days)}</option>
                }).collect_view()}
            </select>
            <FieldError errors error_key="expires_in" id=lifetime_error/>
        </div>
    }
}

/// The create button. It is enabled once the page is interactive: a plain
/// form post (before the WebAssembly has loaded) would make the token and
/// reload the page, and the secret, shown only in answer to that post, would
/// be lost. Disabled while a creation is under way, so one click makes one
/// token.
#[component]
pub(super) fn CreateButton(
    label: &'static str,
    test: &'static str,
    #[prop(into)] pending: Signal<bool>,
) -> impl IntoView {
    let interactive = RwSignal::new(false);
    // Effects run in the browser only, once the page has hydrated.
    Effect::new(move |_| interactive.set(true));
    view! {
        <p class="actions">
            <button type="submit" class="button primary" data-test=test
                disabled=move || !interactive.get() || pending.get()>{label}</button>
        </p>
    }
}

/// The lifetimes to offer and the one selected at first: 90 days, or the
/// longest allowed when that is less (always one of those offered).
fn lifetimes(max_days: u32) -> (Vec<u32>, u32) {
    let mut options: Vec<u32> = LIFETIMES.into_iter().filter(|d| *d <= max_days).collect();
    if max_days < 365 && !options.contains(&max_days) {
        options.push(max_days);
    }
    (options, DEFAULT_LIFETIME_DAYS.min(max_days))
}

fn days_label(days: u32) -> String {
    match days {
        1 => "1 day".into(),
        365 => "365 days (a year)".into(),
        n => format!("{n} days"),
    }
}

/// The secret of a token just created, shown this once. Its field selects
/// itself when focused, so copying is one keystroke; "I have copied it"
/// clears it from the page.
#[component]
pub(super) fn NewSecret(created: CreatedToken, on_done: Callback<()>) -> impl IntoView {
    let field = NodeRef::<leptos::html::Input>::new();
    // Where keyboard and screen-reader users are taken once it appears.
    Effect::new(move |_| {
        if let Some(input) = field.get() {
            let _ = input.focus();
            input.select();
        }
    });
    let CreatedToken { secret, token } = created;
    view! {
        <div class="alert alert-ok token-secret" role="status" data-test="token-secret">
            <p><strong>{format!("Token \u{201c}{}\u{201d} created. Copy it now: it will not be shown again.", token.name)}</strong></p>
            <label for="new-token-secret">"Your new token"</label>
            <input id="new-token-secret" class="token-secret-value" type="text" readonly=true value=secret
                node_ref=field autocomplete="off" spellcheck="false" data-test="token-secret-value"
                on:focus=|ev| { event_target::<leptos::web_sys::HtmlInputElement>(&ev).select(); }/>
            <p class="hint">"Select it and copy it (Ctrl+C, or \u{2318}C on a Mac), then store it where your CI keeps secrets. "
                "Slipway keeps only a fingerprint of it, so nobody can show it to you again: if you lose it, revoke it and create another."</p>
            <p class="hint">"Scripts send it in a header: " <code>"Authorization: Bearer slw_\u{2026}"</code>
                ". The API is described at " <a href="/api/docs" rel="external">"/api/docs"</a> "."</p>
            <p class="actions">
                <button type="button" class="button small" data-test="token-secret-done"
                    on:click=move |_| on_done.run(())>"I have copied it"</button>
            </p>
        </div>
    }
}

/// Tokens in a table, newest first, with Revoke (behind a confirmation)
/// on those still working. Revoked and expired tokens stay listed, greyed.
#[component]
pub(super) fn TokenTable(
    tokens: Vec<TokenView>,
    revoke: ServerAction<RevokeToken>,
    /// Personal tokens show their projects; service tokens who made them.
    kind: TokenKind,
) -> impl IntoView {
    let personal = kind == TokenKind::Personal;
    view! {
        <div class="table-wrap">
            <table class="table tokens" data-test="tokens">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Token"</th>
                        <th scope="col">"May"</th>
                        {personal.then(|| view! { <th scope="col">"Projects"</th> })}
                        <th scope="col">"Created"</th>
                        <th scope="col">"Expires"</th>
                        <th scope="col">"Last used"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {tokens.into_iter().map(|t| view! { <TokenRow t revoke personal/> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn TokenRow(t: TokenView, revoke: ServerAction<RevokeToken>, personal: bool) -> impl IntoView {
    let active = t.status == TokenStatus::Active;
    let projects = match &t.projects {
        None => view! { <span class="muted">"All you can reach"</span> }.into_any(),
        Some(slugs) => slugs
            .iter()
            .map(|s| view! { <code>{s.clone()}</code> " " })
            .collect_view()
            .into_any(),
    };
    let created_by = (!personal && !t.created_by.is_empty()).then(|| {
        view! { <br/><span class="muted">{format!("by {}", t.created_by)}</span> }
    });
    let last_used = match (&t.last_used_at, &t.last_used_ip) {
        (Some(at), Some(ip)) => {
            view! { {when(at)} <br/><span class="muted">{format!("from {ip}")}</span> }.into_any()
        }
        (Some(at), None) => when(at).into_any(),
        (None, _) => view! { <span class="muted">"Never"</span> }.into_any(),
    };
    let status_class = match t.status {
        TokenStatus::Active => "badge token-active",
        TokenStatus::Expired | TokenStatus::Revoked => "badge token-ended",
    };
    // The row names the token; screen readers hear its name on both buttons.
    let ask_label = format!("Revoke \u{201c}{}\u{201d}\u{2026}", t.name);
    let revoke_label = format!("Yes, revoke \u{201c}{}\u{201d}", t.name);
    view! {
        <tr class:ended=!active data-test="token" data-token-status=t.status.label()>
            <th scope="row" class="token-name">{t.name.clone()}</th>
            <td><code class="token-hint" data-test="token-hint">{t.hint.clone()}</code></td>
            <td>
                <ul class="token-scope-list">
                    {t.scopes.iter().map(|s| view! { <li>{s.label()}</li> }).collect_view()}
                </ul>
            </td>
            {personal.then(|| view! { <td>{projects}</td> })}
            <td>{when(&t.created_at)}{created_by}</td>
            <td>{when(&t.expires_at)}</td>
            <td data-test="token-last-used">{last_used}</td>
            <td><span class=status_class data-test="token-status">{t.status.label()}</span></td>
            <td>
                {active.then(|| view! {
                    <details class="token-revoke">
                        <summary class="button small danger" data-test="revoke-token" aria-label=ask_label>"Revoke\u{2026}"</summary>
                        <div class="token-revoke-confirm">
                            <p>"Anything still using it stops working at once. This cannot be undone."</p>
                            <ActionForm action=revoke attr:class="inline">
                                <input type="hidden" name="id" value=t.id.to_string()/>
                                <button type="submit" class="button small danger" data-test="confirm-revoke" aria-label=revoke_label>"Yes, revoke it"</button>
                            </ActionForm>
                        </div>
                    </details>
                })}
            </td>
        </tr>
    }
}

/// `2026-11-25 22:46 UTC` breaking, if it must, between the day and the
/// time only.
fn when(at: &str) -> impl IntoView {
    let (day, time) = at.split_once(' ').unwrap_or((at, ""));
    view! { <span class="nowrap">{day.to_owned()}</span> " " <span class="nowrap">{time.to_owned()}</span> }
}

#[cfg(test)]
mod tests {
    use super::lifetimes;

    #[test]
    fn lifetimes_respect_the_installation_maximum() {
        assert_eq!(lifetimes(365), (vec![7, 30, 90, 365], 90));
        assert_eq!(lifetimes(400), (vec![7, 30, 90, 365], 90));
        assert_eq!(lifetimes(60), (vec![7, 30, 60], 60));
        assert_eq!(lifetimes(90), (vec![7, 30, 90], 90));
        assert_eq!(lifetimes(3), (vec![3], 3));
    }
}
