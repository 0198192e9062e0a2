//! `/projects/:slug/policies`: who must approve before each environment.

use super::api::{list_policies, SetApprovalPolicy};
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
