//! `/projects/:slug/releases/:id`: the sign-off page. One page to see what
//! ships, what changed, the checklist, who approved, and to decide.

use super::api::{
    get_release, ChangeRelease, DecideRelease, IssueSignOffLink, PromoteRelease, RecordEvidence,
    RevokeDecision, TickItem, TransitionRelease,
};
use crate::components::{ErrorPanel, FieldError, FormAlert, FormErrors, Loading};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use slipway_domain::read::ReleaseView;
use slipway_domain::release::{ReleaseState, Transition as StateChange};

#[derive(Clone, Copy)]
struct Actions {
    decide: ServerAction<DecideRelease>,
    revoke: ServerAction<RevokeDecision>,
    promote: ServerAction<PromoteRelease>,
    transition: ServerAction<TransitionRelease>,
    tick: ServerAction<TickItem>,
    change: ServerAction<ChangeRelease>,
    evidence: ServerAction<RecordEvidence>,
}

#[component]
pub fn ReleasePage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let a = Actions {
        decide: ServerAction::new(),
        revoke: ServerAction::new(),
        promote: ServerAction::new(),
        transition: ServerAction::new(),
        tick: ServerAction::new(),
        change: ServerAction::new(),
        evidence: ServerAction::new(),
    };
    // Live: other people's decisions, ticks and state changes reload the
    // release within a second (server-sent events; see server/src/live.rs).
    let live = RwSignal::new(0u32);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        use wasm_bindgen::JsCast;
        let url = format!("/live/releases/{}/{}", slug(), id());
        let Ok(source) = web_sys::EventSource::new(&url) else {
            return;
        };
        let on_changed = wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
            move |_: web_sys::MessageEvent| live.update(|n| *n += 1),
        );
        let _ =
            source.add_event_listener_with_callback("changed", on_changed.as_ref().unchecked_ref());
        let held = send_wrapper::SendWrapper::new((source, on_changed));
        on_cleanup(move || held.0.close());
    });
    let release = Resource::new(
        move || {
            (
                live.get(),
                slug(),
                id(),
                a.decide.version().get(),
                a.revoke.version().get(),
                a.promote.version().get(),
                a.transition.version().get(),
                a.tick.version().get(),
                a.change.version().get(),
                a.evidence.version().get(),
            )
        },
        |(_, s, i, ..)| get_release(s, i),
    );
    // Owned here, not by the view that shows it: that view is rebuilt
    // whenever the release reloads, and a resource it owned would be
    // disposed while its read is still pending. Read once the page is
    // interactive: it reads git, and the server-rendered page should not
    // wait for it (nor every sign-off page served pay for it). Until then
    // it is `None` on both sides, so hydration meets what was rendered.
    let ready = RwSignal::new(false);
    Effect::new(move |_| ready.set(true));
    let changes = Resource::new(
        move || (slug(), id(), a.promote.version().get(), ready.get()),
        |(s, i, _, ready)| async move {
            match ready {
                true => crate::releases::api::what_changes(s, i).await.map(Some),
                false => Ok(None),
            }
        },
    );
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match release.await {
                    Ok(r) => view! { <SignOff r a changes/> }.into_any(),
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SignOff(
    r: ReleaseView,
    a: Actions,
    changes: crate::releases::changes::ChangesResource,
) -> impl IntoView {
    let decide_errors = FormErrors::from_action(a.decide.value());
    let revoke_errors = FormErrors::from_action(a.revoke.value());
    let promote_errors = FormErrors::from_action(a.promote.value());
    let transition_errors = FormErrors::from_action(a.transition.value());
    let tick_errors = FormErrors::from_action(a.tick.value());
    let change_errors = FormErrors::from_action(a.change.value());
    let link = ServerAction::<IssueSignOffLink>::new();
    let link_errors = FormErrors::from_action(link.value());
    let issued = move || match link.value().get() {
        Some(Ok(sent)) => Some(sent),
        _ => None,
    };
    let evidence_errors = FormErrors::from_action(a.evidence.value());
    let evidence_ticked = move || match a.evidence.value().get() {
        Some(Ok(ticked)) => Some(ticked),
        _ => None,
    };
    let promoted = move || match a.promote.value().get() {
        Some(Ok(env)) => Some(env),
        _ => None,
    };
    let project_href = format!("/projects/{}", r.project_slug);
    let promoted_slug = r.project_slug.clone();
    let releases_href = format!("/projects/{}/releases", r.project_slug);
    let (slug, id) = (r.project_slug.clone(), r.id.to_string());
    let hidden = {
        let (slug, id) = (slug.clone(), id.clone());
        move || {
            view! {
                <input type="hidden" name="slug" value=slug.clone()/>
                <input type="hidden" name="id" value=id.clone()/>
            }
        }
    };
    let target = r.target_environment.clone();
    let short_artifact: String = r.artifact.chars().take(12).collect();
    let state_class = format!("badge state-{}", r.state.as_str());
    let waiting = r.state.accepts_decisions() && target.is_some();
    let can_manage = r.can_manage;
    let (artifact_seen, artifact_expected) = (r.artifact.clone(), r.artifact.clone());
    let seen_revision = r.notes_revision.to_string();
    let cannot_decide = r.cannot_decide_because.clone();
    let checklist = r.checklist.clone();
    let candidates = r.reviewer_candidates.clone();
    let evidence = r.evidence.clone();
    let can_record_evidence = r.can_record_evidence;
    view! {
        <Title text=format!("{} {}", r.project_name, r.version)/>
        <section class="page-head">
            <p class="breadcrumb"><a href="/projects">"Projects"</a> " / " <a href=project_href>{r.project_name.clone()}</a> " / " <a href=releases_href>"Releases"</a></p>
            <h1 data-test="release-title">{r.version.clone()} " " <span class="muted">{r.title.clone()}</span></h1>
            <p><span class=state_class data-test="release-state">{r.state.label()}</span>
                {r.reached_environment.clone().map(|e| format!(" · running in {e}"))}
                {target.clone().map(|e| format!(" · next: {e}"))}
            </p>
            <p class="muted">{format!("Ships commit {short_artifact} · by {} · owner {}", r.author, r.owner)}
                {r.planned.clone().map(|p| format!(" · planned for {p}"))}</p>
        </section>
        {move || promoted().map(|env| {
            let href = format!("/projects/{}/environments/{}", promoted_slug.clone(), crate::components::encode_query_value(&env));
            view! {
                <p class="alert alert-ok" role="status" data-test="promoted">
                    "Promotion to " {env.clone()} " started. "
                    <a href=href data-test="follow-deployment">{format!("Watch it on the {env} page")}</a>
                    " (the adapter\u{2019}s output and the checks, live)."
                </p>
            }
        })}

        {target.is_some().then(|| view! { <crate::releases::changes::WhatChangesPanel changes/> })}

        <section class="panel" id="decision" data-test="decision-panel">
            <h2>{match &target { Some(t) => format!("Sign-off for {t}"), None => "Sign-off".to_owned() }}</h2>
            <p class="hint">{format!("Policy: {}", r.policy)}</p>
            <p class=if r.approval_satisfied { "alert alert-ok" } else { "alert alert-warn" } data-test="approval-status">{r.approval_explanation.clone()}</p>
            {(!r.decisions.is_empty()).then(|| view! {
                <ul class="list" data-test="decisions">
                    {r.decisions.iter().map(|d| view! {
                        <li class:ended=d.ended.is_some()>
                            <strong>{d.user.clone()}</strong>
                            {(!d.roles.is_empty()).then(|| format!(" ({})", d.roles.join(", ")))}
                            {format!(" {} on {}", d.decision.past_tense(), d.at)}
                            {(!d.comment.is_empty()).then(|| format!(": “{}”", d.comment))}
                            {d.ended.clone().map(|e| view! { <span class="muted">{format!(" — no longer counts: {e}")}</span> })}
                        </li>
                    }).collect_view()}
                </ul>
            })}
            {(r.can_decide && waiting).then(|| match cannot_decide.clone() {
                Some(why) => view! { <p class="alert alert-warn" data-test="cannot-decide">{why}</p> }.into_any(),
                None => {
                    let hidden = hidden.clone();
                    view! {
                        <ActionForm action=a.decide attr:class="form" attr:data-test="decide-form">
                            <FormAlert errors=decide_errors/>
                            {hidden()}
                            <input type="hidden" name="seen_artifact" value=artifact_seen.clone()/>
                            <input type="hidden" name="seen_revision" value=seen_revision.clone()/>
                            <div class="field">
                                <label for="decision-comment">"Comment" <span class="optional">" (required to reject)"</span></label>
                                <textarea id="decision-comment" name="comment" rows="2" maxlength="2000"></textarea>
                            </div>
                            <p class="actions">
                                <button type="submit" name="decision" value="approve" class="button primary" data-test="approve">"Approve"</button>
                                <button type="submit" name="decision" value="reject" class="button danger" data-test="reject">"Reject"</button>
                            </p>
                        </ActionForm>
                    }.into_any()
                }
            })}
            {(r.can_manage && waiting).then(|| {
                let hidden = hidden.clone();
                view! {
                    <details>
                        <summary>"Send a sign-off link"</summary>
                        <p class="hint">"Asks one approver for their sign-off: they are told on their Slipway dashboard and, when they have an e-mail address, get the link by e-mail. You also see the link once, to paste into chat. It opens this page at the decision, once, within 72 hours, and only when they are signed in as themselves. It never approves by itself."</p>
                        <ActionForm action=link attr:class="inline-form" attr:data-test="sign-link-form">
                            <FormAlert errors=link_errors/>
                            {hidden()}
                            <div class="field">
                                <label for="approver">"Approver's username"</label>
                                <input id="approver" name="approver" required maxlength="64"/>
                            </div>
                            <button type="submit" class="button">"Create link"</button>
                        </ActionForm>
                        {move || issued().map(|(path, emailed)| view! {
                            <p class="alert alert-ok" role="status" data-test="sign-link">
                                {if emailed {
                                    "Sent to their dashboard and by e-mail. "
                                } else {
                                    "Sent to their dashboard (they have no e-mail address in Slipway, or e-mail is not set up). "
                                }}
                                "For chat, copy the link now (shown once): " <a href=path.clone()>{path.clone()}</a>
                            </p>
                        })}
                    </details>
                }
            })}
            {(r.my_decision.is_some() && waiting).then(|| {
                let hidden = hidden.clone();
                view! {
                    <ActionForm action=a.revoke attr:class="inline">
                        <FormAlert errors=revoke_errors/>
                        {hidden()}
                        <button type="submit" class="button small" data-test="revoke">"Revoke my decision"</button>
                    </ActionForm>
                }
            })}
        </section>

        {(!r.notes_html.is_empty()).then(|| view! {
            <section class="panel">
                <h2>"What ships"</h2>
                <div class="notes-preview" data-test="release-notes" inner_html=r.notes_html.clone()></div>
            </section>
        })}

        <section class="panel">
            <h2>"Checklist"</h2>
            <FormAlert errors=tick_errors/>
            <ul class="checklist" data-test="checklist">
                {checklist.into_iter().map(|c| {
                    let hidden = hidden.clone();
                    let required = c.required_before.clone().map(|t| format!("required before {t}")).unwrap_or_else(|| "recommended".into());
                    view! {
                        <li class:done=c.ticked.is_some()>
                            <strong>{c.title.clone()}</strong> <span class="muted">{format!(" · {required}")}</span>
                            <p class="hint">{c.help.clone()}</p>
                            {match c.ticked.clone() {
                                Some(t) => view! { <p class="muted">"✓ " {t}</p> }.into_any(),
                                None if can_manage => view! {
                                    <ActionForm action=a.tick attr:class="inline">
                                        {hidden()}
                                        <input type="hidden" name="key" value=c.key.clone()/>
                                        <button type="submit" class="button small">"Tick"</button>
                                    </ActionForm>
                                }.into_any(),
                                None => ().into_any(),
                            }}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>

        <section class="panel" data-test="evidence">
            <h2>"Evidence"</h2>
            <p class="hint">"Reports, dry-runs and test results for the commit this release ships. Passed evidence ticks the checklist items waiting for its kind."</p>
            {if evidence.is_empty() {
                view! { <p class="muted">"No evidence recorded yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="list" data-test="evidence-list">
                        {evidence.into_iter().map(|e| {
                            let badge = format!("badge outcome-{}", e.outcome);
                            view! {
                                <li class:ended=!e.current>
                                    <span class=badge>{e.outcome.clone()}</span> " "
                                    <strong>{e.kind.clone()}</strong> ": " {e.summary.clone()}
                                    {e.url.clone().map(|u| view! { " " <a href=u rel="noopener noreferrer nofollow">"report"</a> })}
                                    <span class="muted">{format!(" — {}, {}", e.recorded_by, e.at)}</span>
                                    {(!e.ticked.is_empty()).then(|| view! { <p class="muted">{format!("Ticked: {}", e.ticked.join(", "))}</p> })}
                                    {(!e.current).then(|| view! { <p class="muted">"Recorded for an earlier artifact: it does not count for this one."</p> })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            {can_record_evidence.then(|| {
                let hidden = hidden.clone();
                view! {
                    <details>
                        <summary>"Record evidence"</summary>
                        <ActionForm action=a.evidence attr:class="form" attr:data-test="evidence-form">
                            <FormAlert errors=evidence_errors/>
                            {hidden()}
                            <div class="field">
                                <label for="evidence-kind">"Kind"</label>
                                <input id="evidence-kind" name="kind" required maxlength="40" list="evidence-kinds" placeholder="smoke-tests"/>
                                <datalist id="evidence-kinds">
                                    <option value="smoke-tests"/>
                                    <option value="qa-report"/>
                                    <option value="migration-dry-run"/>
                                    <option value="perf-test"/>
                                    <option value="security-scan"/>
                                </datalist>
                                <FieldError errors=evidence_errors error_key="kind" id="evidence-kind-error"/>
                            </div>
                            <div class="field">
                                <label for="evidence-outcome">"Outcome"</label>
                                <select id="evidence-outcome" name="outcome">
                                    <option value="passed">"Passed"</option>
                                    <option value="failed">"Failed"</option>
                                    <option value="info">"For information"</option>
                                </select>
                            </div>
                            <div class="field">
                                <label for="evidence-summary">"What it shows"</label>
                                <input id="evidence-summary" name="summary" required maxlength="500"/>
                                <FieldError errors=evidence_errors error_key="summary" id="evidence-summary-error"/>
                            </div>
                            <div class="field">
                                <label for="evidence-url">"Link to the report" <span class="optional">" (optional)"</span></label>
                                <input id="evidence-url" name="url" type="url" maxlength="2000"/>
                                <FieldError errors=evidence_errors error_key="url" id="evidence-url-error"/>
                            </div>
                            <button type="submit" class="button">"Record"</button>
                        </ActionForm>
                        {move || evidence_ticked().map(|t| view! {
                            <p class="alert alert-ok" role="status" data-test="evidence-recorded">
                                {if t.is_empty() { "Recorded.".to_owned() } else { format!("Recorded; ticked {}.", t.join(", ")) }}
                            </p>
                        })}
                    </details>
                }
            })}
        </section>

        {(r.can_promote && target.is_some()).then(|| {
            let (h1, h2) = (hidden.clone(), hidden.clone());
            let env = target.clone().unwrap_or_default();
            let blockers = r.gate_blockers.len();
            let blocked = blockers > 0;
            view! {
                <section class="panel" data-test="promote-panel">
                    <h2>{format!("Promote to {env}")}</h2>
                    {if r.gate_blockers.is_empty() {
                        view! { <p class="alert alert-ok">"Everything required is in place."</p> }.into_any()
                    } else {
                        view! {
                            <div class="alert alert-warn" data-test="gate-blockers">
                                <p>"Promotion is blocked:"</p>
                                <ul>{r.gate_blockers.iter().map(|b| view! { <li>{b.clone()}</li> }).collect_view()}</ul>
                            </div>
                        }.into_any()
                    }}
                    <FormAlert errors=promote_errors/>
                    <ActionForm action=a.promote attr:class="inline">
                        {h1()}
                        // Blocked: visibly disabled, and it says why (the
                        // reasons above); the server's gate decides anyway.
                        <button type="submit" class="button primary" data-test="promote"
                            disabled=blocked
                            aria-describedby=blocked.then_some("promote-blocked-why")>
                            {if blocked { format!("Promote to {env} (blocked)") } else { format!("Promote to {env}") }}
                        </button>
                        {blocked.then(|| view! {
                            <p class="hint" id="promote-blocked-why" data-test="promote-blocked">
                                {match blockers {
                                    1 => "Promotion waits for the one thing listed above.".to_owned(),
                                    n => format!("Promotion waits for the {n} things listed above."),
                                }}
                            </p>
                        })}
                    </ActionForm>
                    {r.can_break_glass.then(|| view! {
                        <details class="danger-zone">
                            <summary>"Break glass (emergency)"</summary>
                            <p class="hint">"Promotes without approvals, checklist or freeze. Opens a post-release review that the people you name must complete; they are told at once."</p>
                            <ActionForm action=a.promote attr:class="form" attr:data-test="break-glass-form">
                                {h2()}
                                <div class="field">
                                    <label for="break-glass-reason">"Reason"</label>
                                    <textarea id="break-glass-reason" name="break_glass_reason" rows="2" required minlength="10"></textarea>
                                </div>
                                <fieldset class="field" data-test="break-glass-reviewers">
                                    <legend>"Who reviews it afterwards"</legend>
                                    {if candidates.is_empty() {
                                        view! { <p class="alert alert-warn">"Nobody else can approve this project's releases, so nobody can review: grant someone a role first."</p> }.into_any()
                                    } else {
                                        candidates.iter().enumerate().map(|(i, (user, name))| view! {
                                            <label class="check">
                                                <input type="checkbox" name=format!("reviewers[{i}]") value=user.clone()/>
                                                {format!(" {name} ({user})")}
                                            </label>
                                        }).collect_view().into_any()
                                    }}
                                    <FieldError errors=promote_errors error_key="reviewers" id="break-glass-reviewers-error"/>
                                </fieldset>
                                <button type="submit" class="button danger" data-test="break-glass">"Break glass and promote"</button>
                            </ActionForm>
                        </details>
                    })}
                </section>
            }
        })}

        {r.can_manage.then(|| {
            let (h1, h2, h3) = (hidden.clone(), hidden.clone(), hidden.clone());
            let is_draft = r.state == ReleaseState::Draft;
            let releasable = r.state.accepts_changes();
            let rollbackable = r.state.apply(StateChange::RollBack).is_ok();
            view! {
                <section class="panel">
                    <h2>"Manage"</h2>
                    <FormAlert errors=transition_errors/>
                    <FormAlert errors=change_errors/>
                    {is_draft.then(|| view! {
                        <ActionForm action=a.transition attr:class="inline">
                            {h1()}
                            <input type="hidden" name="action" value="submit"/>
                            <button type="submit" class="button primary" data-test="submit-release">"Submit for sign-off"</button>
                        </ActionForm>
                    })}
                    {releasable.then(|| view! {
                        <ActionForm action=a.change attr:class="inline-form">
                            {h2()}
                            <input type="hidden" name="expected_artifact" value=artifact_expected.clone()/>
                            <div class="field">
                                <label for="new-artifact">"Ship a different artifact (digest or commit)"</label>
                                <input id="new-artifact" name="artifact" maxlength="512" required/>
                            </div>
                            <button type="submit" class="button">"Change (voids approvals)"</button>
                        </ActionForm>
                    })}
                    {rollbackable.then(|| view! {
                        <ActionForm action=a.transition attr:class="inline-form">
                            {h3()}
                            <input type="hidden" name="action" value="roll_back"/>
                            <div class="field">
                                <label for="rollback-reason">"Why roll back?"</label>
                                <input id="rollback-reason" name="reason" maxlength="500" required/>
                            </div>
                            <button type="submit" class="button danger" data-test="roll-back">"Roll back"</button>
                        </ActionForm>
                    })}
                </section>
            }
        })}

        <section class="panel">
            <h2>"History"</h2>
            <ol class="timeline" data-test="timeline">
                {r.transitions.iter().map(|t| view! {
                    <li>
                        {format!("{} — {}: {} → {}", t.at, t.actor, t.from.as_str(), t.to.as_str())}
                        {t.environment.clone().map(|e| format!(" ({e})"))}
                        {t.break_glass.then(|| view! { " " <span class="badge danger">"break-glass"</span> })}
                        {(!t.reason.is_empty()).then(|| format!(" — {}", t.reason))}
                    </li>
                }).collect_view()}
            </ol>
        </section>
    }
}
