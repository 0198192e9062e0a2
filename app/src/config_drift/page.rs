//! `/projects/:slug/config`: the environments' configuration side by side,
//! with the drift between neighbouring environments highlighted and
//! explained in sentences; for admins and release managers, each
//! environment's configuration form and the drift rules. Written for
//! people who are not engineers: every block says what it means.

use super::api::{get_config_page, SaveConfigRules, SaveEnvironmentConfig};
use crate::components::form::field_id;
use crate::components::{textarea_text, ErrorPanel, FieldError, FormAlert, FormErrors, Loading};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use slipway_domain::config_drift::{
    ConfigForm, ConfigPage, ConfigRowForm, DriftReport, DriftRow, DriftRulesForm,
    EnvironmentConfigView,
};

/// The page's two kinds of save, shared by its forms, and which
/// environment's form sent the last configuration save (its errors and
/// "Saved" belong under that form only).
#[derive(Clone, Copy)]
struct Actions {
    environment: ServerAction<SaveEnvironmentConfig>,
    rules: ServerAction<SaveConfigRules>,
    last_environment: RwSignal<String>,
}

#[component]
pub fn ConfigPageView() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let a = Actions {
        environment: ServerAction::new(),
        rules: ServerAction::new(),
        last_environment: RwSignal::new(String::new()),
    };
    // Remember which environment's form is being saved (the action's input
    // is cleared once it has answered).
    Effect::new(move |_| {
        if let Some(env) = a
            .environment
            .input()
            .with(|i| i.as_ref().map(|i| i.env.clone()))
        {
            a.last_environment.set(env);
        }
    });
    // Reload after a successful save only: after a refused one the form
    // keeps what was typed, next to the errors.
    let done = RwSignal::new(0u32);
    let count = move |succeeded: bool| {
        if succeeded {
            done.update(|n| *n += 1);
        }
    };
    Effect::new(move |_| count(matches!(a.environment.value().get(), Some(Ok(())))));
    Effect::new(move |_| count(matches!(a.rules.value().get(), Some(Ok(())))));
    let page = Resource::new(move || (slug(), done.get()), |(s, _)| get_config_page(s));
    view! {
        <Title text="Configuration"/>
        <section class="page-head">
            <p class="breadcrumb"><a href="/projects">"Projects"</a> " / " <a href=move || format!("/projects/{}", slug())>{slug}</a></p>
            <h1 data-test="config-title">"Configuration"</h1>
            <p class="lead">"Each environment has its own configuration: keys with values. Configuration drift is when neighbouring environments disagree: a key is set in one environment but missing in the next, or a key that must match has different values. Secrets are never stored here, only references to where they live (such as vault://secret/data/shop#db_password)."</p>
        </section>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(p) => view! { <Config p a/> }.into_any(),
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Config(p: ConfigPage, a: Actions) -> impl IntoView {
    let slug = p.project.clone();
    let envs = p.environments.clone();
    let editing = p.may_edit.then(|| {
        let forms = envs
            .iter()
            .map(|e| view! { <EnvironmentForm slug=slug.clone() e=e.clone() a/> })
            .collect_view();
        view! {
            <RulesForm p=p.clone() a/>
            {forms}
        }
    });
    view! {
        <section class="panel" data-test="config-comparison">
            <h2>"Side by side"</h2>
            <p class="hint">"One column per environment, in the order releases move through them. Each environment is compared with the next one; cells that disagree are highlighted, and the last column says why."</p>
            <Summary report=p.report.clone()/>
            <Comparison p=p.clone()/>
        </section>
        {match editing {
            Some(forms) => forms.into_any(),
            None => view! {
                <p class="muted" data-test="config-read-only">"Only admins and release managers of this project can change the configuration and these rules. Ask one of them if something here needs to change."</p>
            }.into_any(),
        }}
    }
}

/// "3 findings" or "No drift: …".
#[component]
fn Summary(report: DriftReport) -> impl IntoView {
    let n = report.finding_count();
    let (class, text) = match n {
        0 => (
            "alert alert-ok",
            "No drift: every environment has the same keys, and must-match keys agree.".to_owned(),
        ),
        1 => (
            "alert alert-warn",
            "1 finding: the highlighted cells below show where neighbouring environments disagree.".to_owned(),
        ),
        n => (
            "alert alert-warn",
            format!("{n} findings: the highlighted cells below show where neighbouring environments disagree."),
        ),
    };
    view! { <p class=class role="status" data-test="drift-summary" data-findings=n.to_string()>{text}</p> }
}

/// The comparison table: a row per key, a column per environment.
#[component]
fn Comparison(p: ConfigPage) -> impl IntoView {
    if p.report.rows.is_empty() {
        return view! {
            <p class="empty" data-test="config-empty">"No environment has any configuration yet."</p>
        }
        .into_any();
    }
    let heads = p
        .environments
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let waits = (i > 0 && e.require_match).then(|| {
                view! { " " <span class="badge" title="Promotion into this environment waits until its configuration matches the previous one.">"must match to promote"</span> }
            });
            view! { <th scope="col">{e.name.clone()} {waits}</th> }
        })
        .collect_view();
    let rows = p
        .report
        .rows
        .into_iter()
        .map(|row| view! { <ComparisonRow row/> })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="table config-table" data-test="config-table">
                <thead>
                    <tr><th scope="col">"Key"</th> {heads} <th scope="col">"What differs"</th></tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn ComparisonRow(row: DriftRow) -> impl IntoView {
    let marks = row.highlighted();
    let drifts = !row.findings.is_empty();
    let cells = row
        .cells
        .iter()
        .zip(marks)
        .map(|(cell, marked)| {
            let class = if marked {
                "config-cell drift"
            } else {
                "config-cell"
            };
            match cell {
                Some(v) => {
                    let secret = v.is_secret();
                    view! { <td class=class><code class:secret=secret>{v.display()}</code></td> }
                        .into_any()
                }
                None => view! { <td class=class><span class="muted not-set">"not set"</span></td> }
                    .into_any(),
            }
        })
        .collect_view();
    let findings = if drifts {
        view! {
            <ul class="drift-findings">
                {row.findings.iter().map(|f| view! { <li data-test="drift-finding">{f.describe()}</li> }).collect_view()}
            </ul>
        }
        .into_any()
    } else {
        view! { <span class="muted">"\u{2014}"</span> }.into_any()
    };
    view! {
        <tr data-test="config-row" data-key=row.key.to_string() class:drifting=drifts>
            <th scope="row">
                <code>{row.key.to_string()}</code>
                {row.must_match.then(|| view! { " " <span class="badge must-match" data-test="must-match" title="This key must have the same value in every environment.">"must match"</span> })}
            </th>
            {cells}
            <td>{findings}</td>
        </tr>
    }
}

/// The keys that must match, and which environments wait for matching
/// configuration before a promotion into them.
#[component]
fn RulesForm(p: ConfigPage, a: Actions) -> impl IntoView {
    let errors = FormErrors::from_action(a.rules.value());
    let saved = move || matches!(a.rules.value().get(), Some(Ok(())));
    let form = DriftRulesForm::from_rules(&p.rules);
    let requirements = p
        .environments
        .windows(2)
        .map(|pair| {
            let (previous, e) = (&pair[0], &pair[1]);
            let id = format!("require-{}", field_id(&e.name));
            view! {
                <label class="check" for=id.clone()>
                    <input type="checkbox" id=id.clone() name="required[]" value=e.name.clone() checked=e.require_match data-test="require-match"/>
                    {format!(" Promotion into {} waits until its configuration matches {}", e.name, previous.name)}
                </label>
            }
        })
        .collect_view();
    view! {
        <section class="panel" data-test="config-rules">
            <h2>"Rules"</h2>
            <ActionForm action=a.rules attr:class="form" attr:data-test="config-rules-form">
                <FormAlert errors/>
                <input type="hidden" name="slug" value=p.project.clone()/>
                <div class="field">
                    <label for="must-match">"Keys that must match in every environment"</label>
                    <p class="hint" id="must-match-hint">"One key per line. Each of these keys must have the same value in an environment and the next one. Other keys may differ (a database address usually does); a key missing in the next environment is always drift."</p>
                    <textarea id="must-match" name="must_match" rows="4" aria-describedby="must-match-hint" data-test="must-match-keys">{textarea_text(form.must_match)}</textarea>
                    <FieldError errors error_key="must_match" id="must-match-error"/>
                </div>
                {(p.environments.len() > 1).then(|| view! {
                    <fieldset>
                        <legend>"Before a promotion"</legend>
                        <p class="hint">"A promotion into a ticked environment is refused while drift remains between it and the environment before it. Someone allowed to break glass can still go ahead, and that is recorded."</p>
                        {requirements}
                        <FieldError errors error_key="required" id="required-error"/>
                    </fieldset>
                })}
                <p class="actions"><button type="submit" class="button primary" data-test="save-config-rules">"Save the rules"</button></p>
                {move || saved().then(|| view! { <p class="alert alert-ok" role="status" data-test="config-rules-saved">"Saved."</p> })}
            </ActionForm>
        </section>
    }
}

/// One environment's configuration form: its rows, one empty row, and a
/// button to add more.
#[component]
fn EnvironmentForm(slug: String, e: EnvironmentConfigView, a: Actions) -> impl IntoView {
    let env = e.name.clone();
    // Errors and "Saved" of the last save, when this form sent it.
    let mine = {
        let env = env.clone();
        Signal::derive(move || {
            if a.last_environment.with(|last| *last == env) {
                a.environment.value().get()
            } else {
                None
            }
        })
    };
    let errors = FormErrors::from_action(mine);
    let saved = move || matches!(mine.get(), Some(Ok(())));
    let stored: Vec<ConfigRowForm> = ConfigForm::from_config(&e.config).rows;
    let first_new = stored.len();
    let prefix = format!("config-{}", field_id(&env));
    let existing = stored
        .into_iter()
        .enumerate()
        .map(|(i, r)| view! { <ConfigRow i r prefix=prefix.clone() errors/> })
        .collect_view();
    // Rows added in the browser, after the stored ones and one empty row.
    let added = RwSignal::new(1usize);
    let more = {
        let prefix = prefix.clone();
        move || {
            (0..added.get())
                .map(|j| view! { <ConfigRow i=first_new + j r=ConfigRowForm::default() prefix=prefix.clone() errors/> })
                .collect_view()
        }
    };
    let heading = format!("Configuration of {env}");
    let hint = format!("Saving replaces the whole configuration of {env}. Leave a row empty to remove it. Tick \u{201c}secret reference\u{201d} when the value says where a secret lives (vault://\u{2026}, aws-sm://\u{2026}, env://\u{2026}); never paste the secret itself.");
    let save_label = format!("Save the configuration of {env}");
    let section_env = env.clone();
    view! {
        <section class="panel" data-test="config-form" data-environment=section_env>
            <h2>{heading}</h2>
            <p class="hint">{hint}</p>
            <ActionForm action=a.environment attr:class="form">
                <FormAlert errors/>
                <input type="hidden" name="slug" value=slug/>
                <input type="hidden" name="env" value=env/>
                <FieldError errors error_key="rows" id=format!("{prefix}-rows-error")/>
                {existing}
                {more}
                <p class="actions">
                    <button type="button" class="button small" data-test="add-config-row"
                        on:click=move |_| added.update(|n| *n += 1)>"Add a row"</button>
                </p>
                <p class="actions"><button type="submit" class="button primary" data-test="save-config">{save_label}</button></p>
                {move || saved().then(|| view! { <p class="alert alert-ok" role="status" data-test="config-saved">"Saved."</p> })}
            </ActionForm>
        </section>
    }
}

/// One key of the form. A value may span several lines (a certificate),
/// so it is a text area.
#[component]
fn ConfigRow(i: usize, r: ConfigRowForm, prefix: String, errors: FormErrors) -> impl IntoView {
    let name = move |f: &str| format!("rows[{i}][{f}]");
    let id = format!("{prefix}-{i}");
    let (key_error, value_error) = (format!("rows[{i}].key"), format!("rows[{i}].value"));
    let invalid = move |field: &str| {
        let field = field.to_owned();
        move || errors.field(&field).is_some().then_some("true")
    };
    let lines = r.value.lines().count().clamp(1, 6).to_string();
    view! {
        <div class="inline-form config-row-form" data-test="config-row-form">
            <div class="field">
                <label for=format!("{id}-key")>{format!("Key {}", i + 1)}</label>
                <input id=format!("{id}-key") name=name("key") value=r.key maxlength="128" autocomplete="off" spellcheck="false"
                    aria-invalid=invalid(&key_error) data-test="config-key"/>
                <FieldError errors error_key=key_error.clone() id=format!("{id}-key-error")/>
            </div>
            <div class="field grow">
                <label for=format!("{id}-value")>"Value"</label>
                <textarea id=format!("{id}-value") name=name("value") rows=lines spellcheck="false"
                    aria-invalid=invalid(&value_error) data-test="config-value">{textarea_text(r.value)}</textarea>
                <FieldError errors error_key=value_error.clone() id=format!("{id}-value-error")/>
            </div>
            <label class="check">
                <input type="checkbox" name=name("secret") checked=r.secret data-test="config-secret"/>
                " secret reference"
            </label>
        </div>
    }
}
