//! `/projects/:slug/policies`: who must approve before each environment.

use super::api::{get_checklist_template, list_policies, SaveChecklistTemplate, SetApprovalPolicy};
use crate::components::{ErrorPanel, FieldError, FormAlert, FormErrors, Loading};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use slipway_domain::read::EnvironmentPolicy;
use slipway_domain::Role;

#[component]
pub fn PoliciesPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let save = ServerAction::<SetApprovalPolicy>::new();
    let policies = Resource::new(
        move || (slug(), save.version().get()),
        |(s, _)| list_policies(s),
    );
    let errors = FormErrors::from_action(save.value());
    let warnings = move || match save.value().get() {
        Some(Ok(w)) if !w.is_empty() => Some(w.join(" ")),
        _ => None,
    };
    view! {
        <Title text="Approval policies"/>
        <section class="page-head">
            <p class="breadcrumb"><a href="/projects">"Projects"</a> " / " <a href=move || format!("/projects/{}", slug())>{slug}</a></p>
            <h1>"Approval policies"</h1>
            <p class="lead">"Who must sign off before a release enters each environment. One person counts once, even with several roles; nobody approves their own release."</p>
            <p class="hint">{format!("Roles: {}.", Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", "))}</p>
        </section>
        <FormAlert errors/>
        {move || warnings().map(|w| view! { <p class="alert alert-warn" role="status" data-test="policy-warning">{w}</p> })}
        <ChecklistTemplateForm slug=Signal::derive(slug)/>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let s = slug();
                match policies.await {
                    Ok(list) => list.into_iter().map(|p| view! { <PolicyForm p slug=s.clone() save errors/> }).collect_view().into_any(),
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn PolicyForm(
    p: EnvironmentPolicy,
    slug: String,
    save: ServerAction<SetApprovalPolicy>,
    errors: FormErrors,
) -> impl IntoView {
    let id = format!("policy-{}", p.environment);
    let mut rows = p.groups.clone();
    while rows.len() < 3 {
        rows.push((0, Vec::new()));
    }
    view! {
        <section class="panel" data-test="policy">
            <h2>{p.environment.clone()} " " <span class="badge">{p.tier.as_str()}</span></h2>
            <p data-test="policy-description">{p.description.clone()}</p>
            {p.warnings.iter().map(|w| view! { <p class="alert alert-warn">{w.clone()}</p> }).collect_view()}
            {p.can_edit.then(|| view! {
                <ActionForm action=save attr:class="form">
                    <input type="hidden" name="slug" value=slug.clone()/>
                    <input type="hidden" name="environment" value=p.environment.clone()/>
                    <div class="field">
                        <label for=format!("{id}-required")>"Approvals required"</label>
                        <input id=format!("{id}-required") name="required" type="number" min="0" max="20" value=p.required.to_string()/>
                        <FieldError errors error_key="required" id=format!("{id}-required-error")/>
                    </div>
                    <p class="hint">"Role requirements (optional): at least N people holding any of the listed roles, comma separated. Leave a row empty to skip it."</p>
                    {rows.into_iter().enumerate().map(|(i, (n, roles))| view! {
                        <div class="inline-form">
                            <div class="field">
                                <label for=format!("{id}-g{i}-n")>"At least"</label>
                                <input id=format!("{id}-g{i}-n") name=format!("groups[{i}][at_least]") type="number" min="1" max="20"
                                    value=if n == 0 { String::new() } else { n.to_string() }/>
                            </div>
                            <div class="field grow">
                                <label for=format!("{id}-g{i}-r")>"of these roles"</label>
                                <input id=format!("{id}-g{i}-r") name=format!("groups[{i}][roles]") value=roles.join(", ") placeholder="tech_lead"/>
                            </div>
                        </div>
                    }).collect_view()}
                    <p class="actions"><button type="submit" class="button primary">{format!("Save the {} policy", p.environment)}</button></p>
                </ActionForm>
            })}
        </section>
    }
}

/// The project's release checklist template: every new release gets a copy.
#[component]
fn ChecklistTemplateForm(slug: Signal<String>) -> impl IntoView {
    let save = ServerAction::<SaveChecklistTemplate>::new();
    let errors = FormErrors::from_action(save.value());
    let saved = move || matches!(save.value().get(), Some(Ok(())));
    let template = Resource::new(
        move || (slug.get(), save.version().get()),
        |(s, _)| get_checklist_template(s),
    );
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match template.await {
                    Ok((t, can_edit)) => {
                        let mut rows: Vec<_> = t.items.into_iter().map(Some).collect();
                        rows.extend([None, None]);
                        view! {
                            <section class="panel" data-test="checklist-template">
                                <h2>"Release checklist"</h2>
                                <p class="hint">"Every new release gets its own copy. An item can be required before an environment tier (it then blocks promotion until ticked), or ticked automatically when evidence of that kind arrives (e.g. smoke-tests). Existing releases keep their checklist."</p>
                                <FormAlert errors/>
                                {move || saved().then(|| view! { <p class="alert alert-ok" role="status">"Saved."</p> })}
                                <ActionForm action=save attr:class="form">
                                    <input type="hidden" name="slug" value=slug/>
                                    <fieldset disabled=!can_edit>
                                    {rows.into_iter().enumerate().map(|(i, it)| {
                                        let tier = it.as_ref().and_then(|t| t.required_before).map(|t| t.as_str()).unwrap_or("");
                                        view! {
                                            <div class="inline-form checklist-row">
                                                <div class="field">
                                                    <label for=format!("item-{i}-title")>"Item"</label>
                                                    <input id=format!("item-{i}-title") name=format!("items[{i}][title]") maxlength="120"
                                                        value=it.as_ref().map(|t| t.title.clone()).unwrap_or_default()/>
                                                </div>
                                                <div class="field">
                                                    <label for=format!("item-{i}-key")>"Key"</label>
                                                    <input id=format!("item-{i}-key") name=format!("items[{i}][key]") maxlength="40"
                                                        value=it.as_ref().map(|t| t.key.clone()).unwrap_or_default()/>
                                                </div>
                                                <div class="field">
                                                    <label for=format!("item-{i}-tier")>"Required before"</label>
                                                    <select id=format!("item-{i}-tier") name=format!("items[{i}][required_before]")>
                                                        <option value="" selected=tier.is_empty()>"not required"</option>
                                                        <option value="development" selected=tier == "development">"development"</option>
                                                        <option value="staging" selected=tier == "staging">"staging"</option>
                                                        <option value="production" selected=tier == "production">"production"</option>
                                                    </select>
                                                </div>
                                                <div class="field">
                                                    <label for=format!("item-{i}-auto")>"Ticked by evidence"</label>
                                                    <input id=format!("item-{i}-auto") name=format!("items[{i}][auto_from]") maxlength="40"
                                                        value=it.as_ref().and_then(|t| t.auto_from.clone()).unwrap_or_default()/>
                                                </div>
                                                <div class="field grow">
                                                    <label for=format!("item-{i}-help")>"What done means"</label>
                                                    <input id=format!("item-{i}-help") name=format!("items[{i}][help]") maxlength="500"
                                                        value=it.as_ref().map(|t| t.help.clone()).unwrap_or_default()/>
                                                </div>
                                            </div>
                                        }
                                    }).collect_view()}
                                    </fieldset>
                                    {can_edit.then(|| view! { <p class="actions"><button type="submit" class="button primary" data-test="save-checklist">"Save checklist"</button></p> })}
                                </ActionForm>
                            </section>
                        }.into_any()
                    }
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
