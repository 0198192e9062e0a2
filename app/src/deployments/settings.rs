//! "How this environment deploys": the adapter (record only, a command, a
//! signed webhook, or a commit to a GitOps repository), the progressive
//! rollout, its checks and automatic rollback. For admins and release
//! managers; the server checks that again and parses every field.

use super::api::SaveDeploySettings;
use crate::components::{textarea_text, FieldError, FormAlert, FormErrors};
use leptos::form::ActionForm;
use leptos::prelude::*;
use slipway_domain::deployment::adapter::DeploySettingsForm;
use slipway_domain::deployment::check::CheckForm;

#[component]
pub fn DeploySettingsPanel(
    slug: String,
    env: String,
    form: DeploySettingsForm,
    action: ServerAction<SaveDeploySettings>,
) -> impl IntoView {
    let errors = FormErrors::from_action(action.value());
    let saved = move || matches!(action.value().get(), Some(Ok(())));
    let adapter = RwSignal::new(match form.adapter.as_str() {
        "command" => "command",
        "webhook" => "webhook",
        "gitops" => "gitops",
        _ => "record",
    });
    let g = form.gitops.clone();
    // The checks shown: the stored ones and one empty row to add another.
    let rows = RwSignal::new({
        let mut rows = form.checks.clone();
        rows.push(CheckForm::default());
        rows
    });
    view! {
        <section class="panel" data-test="deploy-settings">
            <h2>"How this environment deploys"</h2>
            <p class="hint">"When a release is promoted here, Slipway hands its artifact (by digest) to the adapter, then runs the checks. A check that errors, times out or never becomes healthy counts as failed."</p>
            <ActionForm action attr:class="form" attr:data-test="deploy-settings-form">
                <FormAlert errors/>
                <input type="hidden" name="slug" value=slug/>
                <input type="hidden" name="env" value=env/>
                <fieldset>
                    <legend>"Adapter"</legend>
                    <label class="check"><input type="radio" name="settings[adapter]" value="record" checked=!["command", "webhook", "gitops"].contains(&form.adapter.as_str())
                        on:change=move |_| adapter.set("record") data-test="adapter-record"/>" Record only: Slipway does not deploy here, it records that the release entered"</label>
                    <label class="check"><input type="radio" name="settings[adapter]" value="command" checked=form.adapter == "command"
                        on:change=move |_| adapter.set("command") data-test="adapter-command"/>" Run a command on the Slipway server (helm, kubectl, a script)"</label>
                    <label class="check"><input type="radio" name="settings[adapter]" value="webhook" checked=form.adapter == "webhook"
                        on:change=move |_| adapter.set("webhook") data-test="adapter-webhook"/>" Send a signed webhook to your deployment system, which reports back"</label>
                    <label class="check"><input type="radio" name="settings[adapter]" value="gitops" checked=form.adapter == "gitops"
                        on:change=move |_| adapter.set("gitops") data-test="adapter-gitops"/>" Commit the digest to a GitOps repository (Argo CD, Flux sync it)"</label>
                    <FieldError errors error_key="adapter" id="adapter-error"/>
                </fieldset>
                <div class="webhook-settings" class:hidden=move || adapter.get() != "webhook">
                    <div class="field">
                        <label for="webhook-url">"Webhook URL"</label>
                        <p class="hint" id="webhook-url-hint">"Slipway POSTs the deployment (artifact digest, version, environment, previous digest, rollback, weight) as JSON signed per Standard Webhooks, retrying with the same webhook-id. The payload carries a callback URL and token for the result."</p>
                        <input id="webhook-url" name="settings[webhook_url]" value=form.webhook_url.clone() maxlength="2000" aria-describedby="webhook-url-hint" data-test="webhook-url"/>
                        <FieldError errors error_key="webhook_url" id="webhook-url-error"/>
                    </div>
                    <div class="field">
                        <label for="webhook-secret">"Signing secret (its name)"</label>
                        <p class="hint" id="webhook-secret-hint">"The name of a secret in Slipway\u{2019}s configuration ([webhook_secrets] NAME = [\"whsec_\u{2026}\"]); never the secret itself."</p>
                        <input id="webhook-secret" name="settings[webhook_secret]" value=form.webhook_secret.clone() maxlength="64" aria-describedby="webhook-secret-hint" data-test="webhook-secret"/>
                        <FieldError errors error_key="webhook_secret" id="webhook-secret-error"/>
                    </div>
                    <div class="field">
                        <label for="webhook-status-url">"Status URL " <span class="optional">"(optional: polled instead of waiting for the callback)"</span></label>
                        <input id="webhook-status-url" name="settings[webhook_status_url]" value=form.webhook_status_url.clone() maxlength="2000" data-test="webhook-status-url"/>
                        <FieldError errors error_key="webhook_status_url" id="webhook-status-url-error"/>
                    </div>
                </div>
                <div class="gitops-settings" class:hidden=move || adapter.get() != "gitops">
                    <p class="hint">"Slipway writes the digest into one file of the repository, commits with a trailer naming the deployment (Slipway-Deployment: project/environment#id) and pushes. A rollback is a new commit writing the previous digest. If someone else pushed first, Slipway writes its change again on top and pushes again."</p>
                    <div class="field">
                        <label for="gitops-repo">"Repository"</label>
                        <p class="hint" id="gitops-repo-hint">"An https://, ssh:// or git:// URL, without a user name or token in it."</p>
                        <input id="gitops-repo" name="settings[gitops][repo_url]" value=g.repo_url.clone() maxlength="2000" aria-describedby="gitops-repo-hint" data-test="gitops-repo"/>
                        <FieldError errors error_key="gitops.repo_url" id="gitops-repo-error"/>
                    </div>
                    <div class="field-row">
                        <div class="field">
                            <label for="gitops-branch">"Branch"</label>
                            <input id="gitops-branch" name="settings[gitops][branch]" value=g.branch.clone() placeholder="main" maxlength="200" data-test="gitops-branch"/>
                            <FieldError errors error_key="gitops.branch" id="gitops-branch-error"/>
                        </div>
                        <div class="field">
                            <label for="gitops-path">"File"</label>
                            <input id="gitops-path" name="settings[gitops][path]" value=g.path.clone() placeholder="envs/prod/values.yaml" maxlength="500" data-test="gitops-path"/>
                            <FieldError errors error_key="gitops.path" id="gitops-path-error"/>
                        </div>
                    </div>
                    <div class="field">
                        <label for="gitops-key">"Key path in the YAML file " <span class="optional">"(empty: the whole file is the value)"</span></label>
                        <p class="hint" id="gitops-key-hint">"Such as image.digest (Helm values), images[name=shop/api].digest (Kustomize) or spec.template.spec.containers[0].image. The key must already exist."</p>
                        <input id="gitops-key" name="settings[gitops][key]" value=g.key.clone() maxlength="500" aria-describedby="gitops-key-hint" data-test="gitops-key"/>
                        <FieldError errors error_key="gitops.key" id="gitops-key-error"/>
                    </div>
                    <div class="field-row">
                        <div class="field">
                            <label for="gitops-value">"Write"</label>
                            <select id="gitops-value" name="settings[gitops][value]" data-test="gitops-value">
                                <option value="digest" selected=g.value != "reference">"The digest (sha256:\u{2026})"</option>
                                <option value="reference" selected=g.value == "reference">"The whole reference (registry/name@sha256:\u{2026})"</option>
                            </select>
                            <FieldError errors error_key="gitops.value" id="gitops-value-error"/>
                        </div>
                        <div class="field">
                            <label for="gitops-weight-key">"Key path for the rollout weight " <span class="optional">"(optional)"</span></label>
                            <input id="gitops-weight-key" name="settings[gitops][weight_key]" value=g.weight_key.clone() maxlength="500" data-test="gitops-weight-key"/>
                            <FieldError errors error_key="gitops.weight_key" id="gitops-weight-key-error"/>
                        </div>
                        <div class="field">
                            <label for="gitops-credential">"Credential (its name) " <span class="optional">"(optional)"</span></label>
                            <input id="gitops-credential" name="settings[gitops][credential]" value=g.credential.clone() maxlength="64" data-test="gitops-credential"/>
                            <FieldError errors error_key="gitops.credential" id="gitops-credential-error"/>
                        </div>
                    </div>
                </div>
                <div class="command-settings" class:hidden=move || adapter.get() != "command">
                    <div class="field">
                        <label for="deploy-program">"Program"</label>
                        <p class="hint" id="deploy-program-hint">"A path or a program name, without arguments. It gets SLIPWAY_DIGEST, SLIPWAY_ARTIFACT, SLIPWAY_VERSION, SLIPWAY_ENVIRONMENT, SLIPWAY_PREVIOUS_DIGEST, SLIPWAY_ROLLBACK, SLIPWAY_WEIGHT and SLIPWAY_DEPLOYMENT_ID in its environment; no shell is involved."</p>
                        <input id="deploy-program" name="settings[program]" value=form.program.clone() maxlength="500" aria-describedby="deploy-program-hint" data-test="deploy-program"/>
                        <FieldError errors error_key="program" id="deploy-program-error"/>
                    </div>
                    <div class="field">
                        <label for="deploy-args">"Arguments " <span class="optional">"(one per line)"</span></label>
                        <textarea id="deploy-args" name="settings[args]" rows="4" data-test="deploy-args">{textarea_text(form.args.clone())}</textarea>
                        <FieldError errors error_key="args" id="deploy-args-error"/>
                    </div>
                    <div class="field">
                        <label for="deploy-workdir">"Working directory " <span class="optional">"(optional, absolute)"</span></label>
                        <input id="deploy-workdir" name="settings[workdir]" value=form.workdir.clone() maxlength="1000" data-test="deploy-workdir"/>
                        <FieldError errors error_key="workdir" id="deploy-workdir-error"/>
                    </div>
                </div>
                <div class="deploy-common" class:hidden=move || adapter.get() == "record">
                    <div class="field">
                        <label for="deploy-timeout">"Stop it after (seconds)"</label>
                        <input id="deploy-timeout" name="settings[timeout_s]" value=form.timeout_s.clone() inputmode="numeric" placeholder="600" data-test="deploy-timeout"/>
                        <FieldError errors error_key="timeout_s" id="deploy-timeout-error"/>
                    </div>
                    <label class="check"><input type="checkbox" name="settings[auto_rollback]" checked=form.auto_rollback data-test="auto-rollback"/>
                        " Roll back automatically to the last verified version when a deployment fails"</label>
                    <FieldError errors error_key="auto_rollback" id="auto-rollback-error"/>
                    <div class="field">
                        <label for="deploy-rollout">"Progressive rollout " <span class="optional">"(optional)"</span></label>
                        <p class="hint" id="deploy-rollout-hint">"Steps as percentages of traffic, such as 10, 50, 100. The adapter gets each step\u{2019}s weight (SLIPWAY_WEIGHT) and the checks run after every step. A failed step fails the deployment, which rolls back when automatic rollback is on (Abort always rolls back). Empty: one step."</p>
                        <input id="deploy-rollout" name="settings[rollout]" value=form.rollout.clone() maxlength="100" aria-describedby="deploy-rollout-hint" data-test="deploy-rollout"/>
                        <FieldError errors error_key="rollout" id="deploy-rollout-error"/>
                    </div>
                    <label class="check"><input type="checkbox" name="settings[pause_between_steps]" checked=form.pause_between_steps data-test="pause-between-steps"/>
                        " Pause after each step until someone presses Resume"</label>
                    <FieldError errors error_key="pause_between_steps" id="pause-between-steps-error"/>
                </div>
                <h3>"Checks after every deployment"</h3>
                <p class="hint">"Leave a row empty to remove it. An HTTP check passes only with the expected status, within the time budget, with the expected text or JSON value."</p>
                {move || rows.get().into_iter().enumerate().map(|(i, c)| view! { <CheckRow i c errors/> }).collect_view()}
                <p class="actions">
                    <button type="button" class="button small" data-test="add-check"
                        on:click=move |_| rows.update(|r| r.push(CheckForm::default()))>"Add a check"</button>
                </p>
                <p class="actions"><button type="submit" class="button primary" data-test="save-deploy-settings">"Save"</button></p>
                {move || saved().then(|| view! { <p class="alert alert-ok" role="status" data-test="deploy-settings-saved">"Saved. The next deployment uses these settings."</p> })}
            </ActionForm>
        </section>
    }
}

#[component]
fn CheckRow(i: usize, c: CheckForm, errors: FormErrors) -> impl IntoView {
    let name = move |f: &str| format!("settings[checks][{i}][{f}]");
    let id = move |f: &str| format!("check-{i}-{f}");
    let key = move |f: &str| format!("checks[{i}].{f}");
    let kind = if c.kind == "command" {
        "command"
    } else {
        "http"
    };
    view! {
        <fieldset class="check-row" data-test="check-row">
            <legend>{format!("Check {}", i + 1)}</legend>
            <div class="field">
                <label for=id("kind")>"Kind"</label>
                <select id=id("kind") name=name("kind")>
                    <option value="http" selected=kind == "http">"HTTP request"</option>
                    <option value="command" selected=kind == "command">"Command"</option>
                </select>
            </div>
            <div class="field">
                <label for=id("name")>"Name"</label>
                <input id=id("name") name=name("name") value=c.name.clone() maxlength="100" data-test="check-name"/>
                <FieldError errors error_key=key("name") id=format!("{}-error", id("name"))/>
            </div>
            <div class="field">
                <label for=id("url")>"URL " <span class="optional">"(HTTP)"</span></label>
                <input id=id("url") name=name("url") value=c.url.clone() maxlength="2000" data-test="check-url"/>
                <FieldError errors error_key=key("url") id=format!("{}-error", id("url"))/>
            </div>
            <div class="field-row">
                <div class="field">
                    <label for=id("expect_status")>"Expected status"</label>
                    <input id=id("expect_status") name=name("expect_status") value=c.expect_status.clone() placeholder="200" inputmode="numeric"/>
                    <FieldError errors error_key=key("expect_status") id=format!("{}-error", id("expect_status"))/>
                </div>
                <div class="field">
                    <label for=id("body_contains")>"Answer contains " <span class="optional">"(optional)"</span></label>
                    <input id=id("body_contains") name=name("body_contains") value=c.body_contains.clone() maxlength="500" data-test="check-body"/>
                    <FieldError errors error_key=key("body_contains") id=format!("{}-error", id("body_contains"))/>
                </div>
                <div class="field">
                    <label for=id("json_pointer")>"JSON pointer " <span class="optional">"(optional)"</span></label>
                    <input id=id("json_pointer") name=name("json_pointer") value=c.json_pointer.clone() placeholder="/status" maxlength="500"/>
                    <FieldError errors error_key=key("json_pointer") id=format!("{}-error", id("json_pointer"))/>
                </div>
                <div class="field">
                    <label for=id("json_value")>"\u{2026} has the value"</label>
                    <input id=id("json_value") name=name("json_value") value=c.json_value.clone() maxlength="500"/>
                </div>
            </div>
            <div class="field-row">
                <div class="field">
                    <label for=id("latency_budget_ms")>"Time budget (ms)"</label>
                    <input id=id("latency_budget_ms") name=name("latency_budget_ms") value=c.latency_budget_ms.clone() placeholder="2000" inputmode="numeric"/>
                    <FieldError errors error_key=key("latency_budget_ms") id=format!("{}-error", id("latency_budget_ms"))/>
                </div>
                <div class="field">
                    <label for=id("retries")>"Retries"</label>
                    <input id=id("retries") name=name("retries") value=c.retries.clone() placeholder="5" inputmode="numeric" data-test="check-retries"/>
                    <FieldError errors error_key=key("retries") id=format!("{}-error", id("retries"))/>
                </div>
                <div class="field">
                    <label for=id("deadline_s")>"Give up after (s)"</label>
                    <input id=id("deadline_s") name=name("deadline_s") value=c.deadline_s.clone() placeholder="120" inputmode="numeric" data-test="check-deadline"/>
                    <FieldError errors error_key=key("deadline_s") id=format!("{}-error", id("deadline_s"))/>
                </div>
            </div>
            <div class="field-row">
                <div class="field">
                    <label for=id("program")>"Program " <span class="optional">"(command)"</span></label>
                    <input id=id("program") name=name("program") value=c.program.clone() maxlength="500"/>
                    <FieldError errors error_key=key("program") id=format!("{}-error", id("program"))/>
                </div>
                <div class="field">
                    <label for=id("args")>"Arguments " <span class="optional">"(one per line)"</span></label>
                    <textarea id=id("args") name=name("args") rows="2">{textarea_text(c.args.clone())}</textarea>
                </div>
                <div class="field">
                    <label for=id("timeout_s")>"Timeout (s)"</label>
                    <input id=id("timeout_s") name=name("timeout_s") value=c.timeout_s.clone() placeholder="60" inputmode="numeric"/>
                    <FieldError errors error_key=key("timeout_s") id=format!("{}-error", id("timeout_s"))/>
                </div>
            </div>
        </fieldset>
    }
}
