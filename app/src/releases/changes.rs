//! "What changes in <environment>": for the people who sign off and for
//! the Promote confirmation. Worked out from the commits between what runs
//! there and this release, so it is there before anyone edits the notes.

use crate::components::ErrorPanel;
use crate::error::AppError;
use leptos::prelude::*;
use slipway_domain::deployment::view::{ChangeLine, WhatChanges};

/// What the release page loads for [`WhatChangesPanel`] (owned by the
/// page, which outlives the panel's re-renders).
pub type ChangesResource = Resource<Result<Option<WhatChanges>, AppError>>;

#[component]
pub fn WhatChangesPanel(changes: ChangesResource) -> impl IntoView {
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Working out what changes\u{2026}"</p> }>
            {move || Suspend::new(async move {
                match changes.await {
                    Ok(Some(w)) => view! { <Changes w/> }.into_any(),
                    Ok(None) => view! { <p class="muted">"Working out what changes\u{2026}"</p> }.into_any(),
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Changes(w: WhatChanges) -> impl IntoView {
    if w.environment.is_empty() {
        return ().into_any();
    }
    let running = match &w.running {
        Some(v) => format!("{} runs {v} now.", w.environment),
        None => format!("Nothing runs in {} yet.", w.environment),
    };
    let nothing = w.is_empty() && w.unknown.is_none();
    view! {
        <section class="panel" data-test="what-changes">
            <h2>{format!("What changes in {}", w.environment)}</h2>
            <p class="lead">{running}
                {(!w.skipped.is_empty()).then(|| format!(" This release also brings what {} contained, which never went there.", w.skipped.join(", ")))}
            </p>
            {w.unknown.clone().map(|u| view! { <p class="alert alert-warn" data-test="changes-unknown">{u}</p> })}
            {nothing.then(|| view! { <p class="muted">"No changes in the code since what runs there."</p> })}
            <Group title="Breaking changes: someone must act" test="changes-breaking" lines=w.breaking.clone()/>
            <Group title="New features" test="changes-features" lines=w.features.clone()/>
            <Group title="Fixes" test="changes-fixes" lines=w.fixes.clone()/>
            <Group title="Faster" test="changes-performance" lines=w.performance.clone()/>
            {(w.other > 0).then(|| view! { <p class="muted">{format!("And {} other change(s): documentation, tooling, chores.", w.other)}</p> })}
            {(!w.issues.is_empty()).then(|| view! {
                <p data-test="changes-issues">"Issues resolved: " {w.issues.join(", ")}</p>
            })}
            {(!w.config.is_empty()).then(|| view! {
                <h3>"Configuration that differs"</h3>
                <ul data-test="changes-config">
                    {w.config.iter().map(|d| view! {
                        <li class:drift=d.finding data-test="config-difference">
                            {d.describe()}
                            {d.finding.then(|| view! { " " <span class="badge warn">"drift"</span> })}
                        </li>
                    }).collect_view()}
                </ul>
            })}
        </section>
    }
    .into_any()
}

#[component]
fn Group(title: &'static str, test: &'static str, lines: Vec<ChangeLine>) -> impl IntoView {
    (!lines.is_empty()).then(|| {
        view! {
            <h3>{title}</h3>
            <ul data-test=test>
                {lines.into_iter().map(|l| view! {
                    <li>
                        {l.text} " " <code class="muted">{l.commit}</code>
                        {(!l.issues.is_empty()).then(|| format!(" (closes {})", l.issues.join(", ")))}
                        {l.migration.map(|m| view! { <p class="hint">"What to do: " {m}</p> })}
                    </li>
                }).collect_view()}
            </ul>
        }
    })
}
