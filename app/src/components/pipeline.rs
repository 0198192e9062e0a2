use leptos::prelude::*;
use slipway_domain::read::EnvironmentView;
use slipway_domain::EnvironmentTier;

/// A project's environments in promotion order: dev -> staging -> prod;
/// with the project's slug, each links to its page (what runs there).
#[component]
pub fn Pipeline(
    environments: Vec<EnvironmentView>,
    #[prop(optional, into)] slug: Option<String>,
) -> impl IntoView {
    if environments.is_empty() {
        return view! { <p class="muted">"No environments yet."</p> }.into_any();
    }
    view! {
        <ol class="pipeline" aria-label="Environments in promotion order">
            {environments
                .into_iter()
                .map(|e| {
                    let tier = e.tier;
                    let name = match &slug {
                        Some(s) => {
                            let href = format!("/projects/{s}/environments/{}", crate::components::encode_query_value(&e.name));
                            view! { <a class="env-name" href=href data-test="environment-link">{e.name}</a> }.into_any()
                        }
                        None => view! { <span class="env-name">{e.name}</span> }.into_any(),
                    };
                    view! {
                        <li class=format!("env tier-{}", tier.as_str()) data-test="environment">
                            {name}
                            <span class="env-tier">{tier.label()}</span>
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
    .into_any()
}

/// A tier chooser.
#[component]
pub fn TierSelect(
    #[prop(into)] name: String,
    #[prop(into)] id: String,
    #[prop(into)] selected: String,
    #[prop(optional, into)] described_by: Option<String>,
) -> impl IntoView {
    view! {
        <select name=name id=id aria-describedby=described_by>
            {EnvironmentTier::ALL
                .into_iter()
                .map(|t| {
                    let is = t.as_str() == selected;
                    view! { <option value=t.as_str() selected=is>{t.label()}</option> }
                })
                .collect_view()}
        </select>
    }
}
