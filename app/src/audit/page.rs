use super::api::list_audit;
use crate::components::{encode_query_value, ErrorPanel, Loading};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use slipway_domain::read::AuditPage;
use slipway_domain::AuditAction;

#[derive(Clone, PartialEq)]
struct Filters {
    actor: String,
    action: String,
    subject_type: String,
    project: String,
    page: i64,
}

#[component]
pub fn AuditPageView() -> impl IntoView {
    let query = use_query_map();
    let filters = move || {
        query.with(|q| Filters {
            actor: q.get("actor").unwrap_or_default(),
            action: q.get("action").unwrap_or_default(),
            subject_type: q.get("subject_type").unwrap_or_default(),
            project: q.get("project").unwrap_or_default(),
            page: q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1),
        })
    };
    let events = Resource::new(filters, |f| {
        list_audit(f.actor, f.action, f.subject_type, f.project, f.page)
    });
    view! {
        <Title text="Audit log"/>
        <section class="page-head">
            <h1>"Audit log"</h1>
            <p class="lead">"Every change in Slipway: who made it, when, and what it was before and after."</p>
        </section>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let f = filters();
                match events.await {
                    Ok(page) => view! { <AuditView page f/> }.into_any(),
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn AuditView(page: AuditPage, f: Filters) -> impl IntoView {
    let count = page.page_count();
    let link = {
        let f = f.clone();
        move |n: i64| {
            let mut q = vec![format!("page={n}")];
            for (k, v) in [
                ("actor", &f.actor),
                ("action", &f.action),
                ("subject_type", &f.subject_type),
                ("project", &f.project),
            ] {
                if !v.is_empty() {
                    q.push(format!("{k}={}", encode_query_value(v)));
                }
            }
            format!("/audit?{}", q.join("&"))
        }
    };
    let prev = (page.page > 1).then(|| link(page.page - 1));
    let next = (page.page < count).then(|| link(page.page + 1));
    let subject_types = ["user", "project", "environment"];
    view! {
        <Form method="GET" action="/audit" attr:class="filters" attr:data-test="audit-filters">
            <div class="field">
                <label for="f-actor">"Who"</label>
                <select id="f-actor" name="actor">
                    <option value="">"Anyone"</option>
                    {page.actors.iter().map(|a| view! { <option value=a.clone() selected=*a == f.actor>{a.clone()}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="f-action">"What"</label>
                <select id="f-action" name="action">
                    <option value="">"Any change"</option>
                    {AuditAction::ALL.iter().map(|a| view! { <option value=a.as_str() selected=a.as_str() == f.action>{a.as_str()}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="f-subject">"On"</label>
                <select id="f-subject" name="subject_type">
                    <option value="">"Anything"</option>
                    {subject_types.iter().map(|s| view! { <option value=*s selected=*s == f.subject_type>{*s}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="f-project">"Project"</label>
                <select id="f-project" name="project">
                    <option value="">"Any project"</option>
                    {page.projects.iter().map(|(slug, name)| view! { <option value=slug.clone() selected=*slug == f.project>{name.clone()}</option> }).collect_view()}
                </select>
            </div>
            <button type="submit" class="button">"Filter"</button>
            <a class="button" href="/audit">"Clear"</a>
        </Form>
        <p class="muted" aria-live="polite">{format!("{} events · page {} of {}", page.total, page.page, count)}</p>
        {if page.events.is_empty() {
            view! { <p class="empty">"No events match these filters."</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap">
                <table class="table" data-test="audit-table">
                    <caption class="visually-hidden">"Audit events, newest first"</caption>
                    <thead><tr><th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"What"</th><th scope="col">"On"</th><th scope="col">"Change"</th></tr></thead>
                    <tbody>
                        {page.events.into_iter().map(|e| view! {
                            <tr data-test="audit-row">
                                <td><time>{e.occurred_at}</time></td>
                                <td>{e.actor}</td>
                                <td><code>{e.action}</code></td>
                                <td>{e.subject_type} " " <strong>{e.subject_label}</strong>
                                    {e.project_slug.map(|s| view! { " in " <a href=format!("/projects/{s}")>{s.clone()}</a> })}
                                </td>
                                <td class="change">
                                    {e.before.map(|b| view! { <div><span class="muted">"before "</span><code>{b}</code></div> })}
                                    {e.after.map(|a| view! { <div><span class="muted">"after "</span><code>{a}</code></div> })}
                                </td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
                </div>
            }.into_any()
        }}
        <nav class="pager" aria-label="Pages">
            {prev.map(|h| view! { <a class="button" href=h rel="prev">"← Newer"</a> })}
            {next.map(|h| view! { <a class="button" href=h rel="next">"Older →"</a> })}
        </nav>
    }
}
