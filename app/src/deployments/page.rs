//! An environment's page: what runs there now (and whether its checks
//! passed), what waits to enter, Rollback with what it will change back,
//! "Run checks again", holds, and every deployment with its output and
//! checks. Written for people who are not engineers: each block says what
//! it means.

use super::api::{
    get_environment, CancelDeployment, ControlRollout, ReleaseHold, RerunChecks,
    RollBackEnvironment, SaveDeploySettings,
};
use super::output::DeploymentOutput;
use super::settings::DeploySettingsPanel;
use crate::components::{ErrorPanel, FieldError, FormAlert, FormErrors, Loading};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use slipway_domain::deployment::view::{DeploymentView, EnvironmentPage, HoldView};
use slipway_domain::deployment::{DeploymentKind, DeploymentState};

#[derive(Clone, Copy)]
struct Actions {
    rollback: ServerAction<RollBackEnvironment>,
    rerun: ServerAction<RerunChecks>,
    cancel: ServerAction<CancelDeployment>,
    rollout: ServerAction<ControlRollout>,
    release: ServerAction<ReleaseHold>,
    settings: ServerAction<SaveDeploySettings>,
}

#[component]
pub fn EnvironmentPageView() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let env = move || params.read().get("env").unwrap_or_default();
    let a = Actions {
        rollback: ServerAction::new(),
        rerun: ServerAction::new(),
        cancel: ServerAction::new(),
        rollout: ServerAction::new(),
        release: ServerAction::new(),
        settings: ServerAction::new(),
    };
    // A deployment's state changed (its live output says so), or an action
    // succeeded: reload. (Not after a refused one: the form keeps what was
    // typed, next to the errors.)
    let changed = RwSignal::new(0u32);
    let done = RwSignal::new(0u32);
    let count = move |succeeded: bool| {
        if succeeded {
            done.update(|n| *n += 1);
        }
    };
    Effect::new(move |_| count(matches!(a.rollback.value().get(), Some(Ok(_)))));
    Effect::new(move |_| count(matches!(a.rerun.value().get(), Some(Ok(_)))));
    Effect::new(move |_| count(matches!(a.cancel.value().get(), Some(Ok(_)))));
    Effect::new(move |_| count(matches!(a.rollout.value().get(), Some(Ok(_)))));
    Effect::new(move |_| count(matches!(a.release.value().get(), Some(Ok(_)))));
    Effect::new(move |_| count(matches!(a.settings.value().get(), Some(Ok(_)))));
    let page = Resource::new(
        move || (slug(), env(), changed.get(), done.get()),
        |(s, e, ..)| get_environment(s, e),
    );
    let on_change = Callback::new(move |()| changed.update(|n| *n += 1));
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(p) => view! { <Environment p a on_change/> }.into_any(),
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Environment(p: EnvironmentPage, a: Actions, on_change: Callback<()>) -> impl IntoView {
    let rollback_errors = FormErrors::from_action(a.rollback.value());
    let rerun_errors = FormErrors::from_action(a.rerun.value());
    let cancel_errors = FormErrors::from_action(a.cancel.value());
    let rollout_errors = FormErrors::from_action(a.rollout.value());
    let can_roll_back = p.can_roll_back;
    let can_steer = p.can_roll_back || p.can_promote;
    let release_errors = FormErrors::from_action(a.release.value());
    let project_href = format!("/projects/{}", p.project_slug);
    let (slug, env) = (p.project_slug.clone(), p.environment.clone());
    // Copy, so every form can take it.
    let keys = StoredValue::new((slug.clone(), env.clone()));
    let hidden = move || {
        let (slug, env) = keys.get_value();
        view! {
            <input type="hidden" name="slug" value=slug/>
            <input type="hidden" name="env" value=env/>
        }
        .into_any()
    };
    let has_checks = !p.settings.checks.is_empty();
    let title = format!("{} \u{2014} {}", p.environment, p.project_name);
    view! {
        <Title text=title/>
        <section class="page-head">
            <p class="breadcrumb"><a href="/projects">"Projects"</a> " / " <a href=project_href>{p.project_name.clone()}</a></p>
            <h1 data-test="environment-title">{p.environment.clone()} " " <span class=format!("badge tier-{}", p.tier)>{p.tier.clone()}</span></h1>
            <p class="lead">{format!("How releases of {} enter {}: ", p.project_name, p.environment)}
                <strong data-test="adapter-label">{p.adapter_label.clone()}</strong>
                {if has_checks { format!(", then {} check(s) must pass.", p.settings.checks.len()) } else { ", with no checks.".to_owned() }}
            </p>
        </section>

        {p.failed.clone().map(|f| view! { <FailedBanner f/> })}

        <section class="panel" data-test="running-now">
            <h2>"Running now"</h2>
            {match p.current.clone() {
                None => view! { <p class="empty" data-test="nothing-running">"Nothing has been deployed here yet."</p> }.into_any(),
                Some(d) => view! {
                    <dl class="details">
                        <dt>"Version"</dt><dd data-test="current-version"><a href=format!("/projects/{}/releases/{}", slug, d.release_id)>{d.version.clone()}</a></dd>
                        <dt>"Artifact"</dt><dd><code class="digest" data-test="current-artifact">{d.artifact.clone()}</code></dd>
                        <dt>"Since"</dt><dd>{d.finished_at.clone().unwrap_or_default()}</dd>
                        <dt>"By"</dt><dd>{describe_actor(&d)}</dd>
                        <dt>"Through"</dt><dd>{format!("deployment {}, a {}", d.id, match d.kind { DeploymentKind::Promotion => "promotion", DeploymentKind::Rollback => "rollback" })}</dd>
                    </dl>
                }.into_any(),
            }}
            <p class="muted" data-test="last-verified">{match p.last_verified.clone() {
                Some(v) => format!("Last version whose checks passed here: {} ({}).", v.version, short(&v.artifact)),
                None => "No version has passed its checks here yet.".to_owned(),
            }}</p>
            <FormAlert errors=rerun_errors/>
            {(p.can_roll_back && has_checks && p.current.is_some()).then(|| view! {
                <ActionForm action=a.rerun attr:class="inline">
                    {hidden()}
                    <button type="submit" class="button" data-test="rerun-checks">"Run checks again"</button>
                </ActionForm>
            })}
        </section>

        {p.can_roll_back.then(|| view! { <RollbackPanel p=p.clone() a errors=rollback_errors hidden/> })}

        <section class="panel" data-test="waiting">
            <h2>"Under way and waiting"</h2>
            <FormAlert errors=cancel_errors/>
            <FormAlert errors=rollout_errors/>
            {if p.waiting.is_empty() {
                view! { <p class="empty">"Nothing is being deployed here now."</p> }.into_any()
            } else {
                view! {
                    <ol class="deployments">
                        {p.waiting.iter().map(|d| {
                            let d = d.clone();
                            let running = d.state != DeploymentState::Queued;
                            let ahead = d.ahead.unwrap_or(0);
                            // A rollout that moved traffic ends by Abort or by
                            // finishing; Cancel would leave the traffic split.
                            let cancellable = can_steer
                                && !(running && d.kind == DeploymentKind::Promotion && d.rollout.is_some());
                            let id = d.id.to_string();
                            view! {
                                <li data-test="waiting-deployment" data-state=d.state.as_str()>
                                    <p><strong>{format!("{} {}", kind_label(d.kind), d.version)}</strong> " "
                                        <span class=format!("badge deploy-{}", state_class(&d)) data-test="deployment-state">{state_label(&d)}</span>
                                        {(!running).then(|| format!(" \u{2014} {} ahead of it", ahead))}
                                    </p>
                                    <p class="muted">{format!("Asked for by {} at {}", describe_actor(&d), d.requested_at)}</p>
                                    {d.rollout.clone().map(|r| view! { <RolloutControls r id=d.id kind=d.kind a can_roll_back can_steer hidden/> })}
                                    {running.then(|| view! { <DeploymentOutput id=d.id state=d.state on_change/> })}
                                    {cancellable.then(|| view! {
                                        <ActionForm action=a.cancel attr:class="inline">
                                            {hidden()}
                                            <input type="hidden" name="id" value=id.clone()/>
                                            <button type="submit" class="button small" data-test="cancel-deployment">"Cancel"</button>
                                        </ActionForm>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
        </section>

        {(!p.holds.is_empty()).then(|| view! {
            <section class="panel" data-test="holds">
                <h2>"Held here"</h2>
                <p class="hint">"A version rolled back out of this environment is held: it is not promoted here again until someone who may roll back releases the hold and says why."</p>
                <FormAlert errors=release_errors/>
                <ul>
                    {p.holds.iter().map(|h| view! { <HoldItem h=h.clone() a can=p.can_roll_back errors=release_errors hidden/> }).collect_view()}
                </ul>
            </section>
        })}

        <section class="panel" data-test="history">
            <h2>"Deployments"</h2>
            {if p.history.is_empty() {
                view! { <p class="empty">"No deployments yet."</p> }.into_any()
            } else {
                view! {
                    <ol class="deployments">
                        {p.history.iter().map(|d| view! { <HistoryItem d=d.clone() slug=slug.clone()/> }).collect_view()}
                    </ol>
                }.into_any()
            }}
        </section>

        {p.can_configure.then(|| view! { <DeploySettingsPanel slug=slug.clone() env=env.clone() form=p.settings.clone() action=a.settings/> })}
    }
}

/// A progressive rollout's progress, and Pause, Resume and Abort.
#[component]
fn RolloutControls(
    r: slipway_domain::deployment::rollout::RolloutProgress,
    id: i64,
    kind: DeploymentKind,
    a: Actions,
    can_roll_back: bool,
    can_steer: bool,
    hidden: impl Fn() -> AnyView + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let steps = r
        .steps
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let class = if i < r.step || (i == r.step && r.paused) {
                "step done"
            } else if i == r.step {
                "step current"
            } else {
                "step"
            };
            view! { <li class=class>{format!("{w}%")}</li> }
        })
        .collect_view();
    let id = id.to_string();
    let (id2, id3) = (id.clone(), id.clone());
    view! {
        <div class="rollout" data-test="rollout">
            <ol class="rollout-steps" aria-label="Rollout steps">{steps}</ol>
            <p data-test="rollout-progress">{r.describe()}</p>
            {(can_steer && r.may_pause()).then(|| view! {
                <ActionForm action=a.rollout attr:class="inline">
                    {hidden()}
                    <input type="hidden" name="id" value=id.clone()/>
                    <input type="hidden" name="action" value="pause"/>
                    <button type="submit" class="button small" data-test="pause-rollout">"Pause after this step"</button>
                </ActionForm>
            })}
            {(can_steer && r.paused).then(|| view! {
                <ActionForm action=a.rollout attr:class="inline">
                    {hidden()}
                    <input type="hidden" name="id" value=id2.clone()/>
                    <input type="hidden" name="action" value="resume"/>
                    <button type="submit" class="button primary small" data-test="resume-rollout">"Resume: go on to the next step"</button>
                </ActionForm>
            })}
            {(can_roll_back && kind == DeploymentKind::Promotion).then(|| view! {
                <ActionForm action=a.rollout attr:class="inline">
                    {hidden()}
                    <input type="hidden" name="id" value=id3.clone()/>
                    <input type="hidden" name="action" value="abort"/>
                    <label class="sr-only" for=format!("abort-reason-{id3}")>"Why abort"</label>
                    <input id=format!("abort-reason-{id3}") name="reason" placeholder="Why (for the audit log)" maxlength="2000" data-test="abort-reason"/>
                    <button type="submit" class="button danger small" data-test="abort-rollout">"Abort and roll back"</button>
                </ActionForm>
            })}
        </div>
    }
}

/// The newest deployment failed.
#[component]
fn FailedBanner(f: DeploymentView) -> impl IntoView {
    let rolled_back = f.state == DeploymentState::RolledBack;
    view! {
        <section class="alert alert-error" role="alert" data-test="failed-banner">
            <p><strong>{format!("Deployment of {} failed.", f.version)}</strong></p>
            <p>{f.error.clone().unwrap_or_default()}</p>
            <p>{if rolled_back {
                "It was rolled back automatically to the last verified version; see below."
            } else {
                "The environment may run either version. Roll back below, or fix and promote again."
            }}</p>
        </section>
    }
}

#[component]
fn RollbackPanel(
    p: EnvironmentPage,
    a: Actions,
    errors: FormErrors,
    hidden: impl Fn() -> AnyView + Copy + Send + Sync + 'static,
) -> impl IntoView {
    view! {
        <section class="panel danger-zone" data-test="rollback-panel">
            <h2>"Roll back"</h2>
            {match p.rollback.clone() {
                Err(why) => view! { <p class="muted" data-test="rollback-unavailable">{why}</p> }.into_any(),
                Ok(r) => {
                    let from = match (&r.from_version, &r.from_artifact) {
                        (Some(v), Some(a)) => format!("{v} ({})", short(a)),
                        _ => "what runs now".to_owned(),
                    };
                    view! {
                        <p>"Puts the last version that passed its checks here back, through the same adapter. Approvals are not needed; the checks still run. What runs now is held here until someone releases it."</p>
                        <details data-test="rollback-confirm">
                            <summary class="button danger" data-test="rollback">{format!("Roll back to {}", r.to_version)}</summary>
                            <dl class="details">
                                <dt>"Takes out"</dt><dd data-test="rollback-from">{from}</dd>
                                <dt>"Puts back"</dt><dd data-test="rollback-to">{r.to_version.clone()} " " <code class="digest">{r.to_artifact.clone()}</code></dd>
                            </dl>
                            <ActionForm action=a.rollback attr:class="form">
                                <FormAlert errors/>
                                {hidden()}
                                <div class="field">
                                    <label for="rollback-reason">"Why? " <span class="optional">"(recorded with the rollback)"</span></label>
                                    <input id="rollback-reason" name="reason" maxlength="2000"/>
                                    <FieldError errors error_key="reason" id="rollback-reason-error"/>
                                </div>
                                <button type="submit" class="button danger" data-test="confirm-rollback">{format!("Roll back now to {}", r.to_version)}</button>
                            </ActionForm>
                        </details>
                    }.into_any()
                }
            }}
        </section>
    }
}

#[component]
fn HoldItem(
    h: HoldView,
    a: Actions,
    can: bool,
    errors: FormErrors,
    hidden: impl Fn() -> AnyView + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let field = format!("hold-reason-{}", h.id);
    view! {
        <li data-test="hold">
            <p><strong>{h.version.clone()}</strong> " " <code class="digest">{short(&h.identity)}</code> {format!(" \u{2014} {}", h.reason)}</p>
            {can.then(|| view! {
                <ActionForm action=a.release attr:class="inline-form">
                    {hidden()}
                    <input type="hidden" name="hold" value=h.id.to_string()/>
                    <div class="field">
                        <label for=field.clone()>"Why may it be promoted here again?"</label>
                        <input id=field.clone() name="reason" maxlength="2000" required minlength="10"/>
                        <FieldError errors error_key="reason" id=format!("{field}-error")/>
                    </div>
                    <button type="submit" class="button" data-test="release-hold">"Release the hold"</button>
                </ActionForm>
            })}
        </li>
    }
}

#[component]
fn HistoryItem(d: DeploymentView, slug: String) -> impl IntoView {
    let release_href = format!("/projects/{slug}/releases/{}", d.release_id);
    let show_output = RwSignal::new(false);
    view! {
        <li data-test="deployment" data-state=d.state.as_str() data-kind=d.kind.as_str()>
            <p>
                <strong>{format!("{} ", kind_label(d.kind))}<a href=release_href>{d.version.clone()}</a></strong> " "
                <span class=format!("badge deploy-{}", state_class(&d)) data-test="deployment-state">{state_label(&d)}</span>
                {d.automatic.then(|| view! { " " <span class="badge">"automatic"</span> })}
            </p>
            <p class="muted">{format!("#{} \u{2014} asked for by {} at {}{}", d.id, describe_actor(&d), d.requested_at,
                d.finished_at.clone().map(|f| format!(", ended {f}")).unwrap_or_default())}</p>
            {d.error.clone().map(|e| view! { <p class="field-error" data-test="deployment-error">{e}</p> })}
            {(!d.checks.is_empty()).then(|| view! {
                <ul class="checks" data-test="check-results">
                    {d.checks.iter().map(|c| view! {
                        <li class=if c.passed { "check-passed" } else { "check-failed" } data-test="check-result">
                            {if c.passed { "\u{2714} " } else { "\u{2718} " }}
                            <strong>{c.name.clone()}</strong>
                            {format!(": {} ({} attempt(s), {} ms)", c.detail, c.attempts, c.elapsed_ms)}
                        </li>
                    }).collect_view()}
                </ul>
            })}
            <details on:toggle=move |_| show_output.set(true)>
                <summary data-test="show-output">"Adapter output"</summary>
                {move || show_output.get().then(|| view! { <DeploymentOutput id=d.id state=d.state/> })}
            </details>
        </li>
    }
}

fn kind_label(kind: DeploymentKind) -> &'static str {
    match kind {
        DeploymentKind::Promotion => "Promotion of",
        DeploymentKind::Rollback => "Rollback to",
    }
}

fn describe_actor(d: &DeploymentView) -> String {
    if d.automatic {
        "Slipway (automatically)".to_owned()
    } else {
        d.actor.clone()
    }
}

fn short(artifact: &str) -> String {
    let id = artifact.rsplit_once('@').map_or(artifact, |(_, d)| d);
    id.chars().take(19).collect()
}

/// A paused rollout reads as paused (it is verifying, waiting for Resume).
fn paused(d: &DeploymentView) -> bool {
    d.rollout.as_ref().is_some_and(|r| r.paused)
}

fn state_label(d: &DeploymentView) -> &'static str {
    if paused(d) {
        "Paused"
    } else {
        d.state.label()
    }
}

fn state_class(d: &DeploymentView) -> &'static str {
    if paused(d) {
        "paused"
    } else {
        d.state.as_str()
    }
}
