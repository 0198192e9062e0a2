//! `/search?q=`: find a change by commit id, issue or PR reference, or
//! words, and see the releases that contain it.

use crate::components::{ErrorPanel, Loading};
use crate::repository::api::find_change;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use slipway_domain::read::FoundChange;

#[component]
pub fn SearchPage() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.read().get("q").unwrap_or_default();
    let results = Resource::new(q, |q| async move {
        if q.trim().is_empty() {
            Ok(None)
        } else {
            find_change(q).await.map(Some)
        }
    });
    view! {
        <Title text="Where is my change?"/>
        <section class="page-head">
            <h1>"Where is my change?"</h1>
            <p class="lead">"Type a ticket (SHOP-123), a pull request (#42), a commit id or words from the change. Slipway shows the first release that contains it and every release since."</p>
            <Form method="GET" action="">
                <div class="inline-form">
                    <div class="field grow">
                        <label for="search-q">"Change"</label>
                        <input id="search-q" name="q" type="search" value=q maxlength="200" data-test="search-input" placeholder="SHOP-123, #42, abc1234 or words"/>
                    </div>
                    <button type="submit" class="button primary">"Search"</button>
                </div>
            </Form>
        </section>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match results.await {
                    Ok(Some(found)) => view! { <Results found/> }.into_any(),
                    Ok(None) => ().into_any(),
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Results(found: Vec<FoundChange>) -> impl IntoView {
    if found.is_empty() {
        return view! { <section class="panel"><p data-test="search-empty">"No change matches in the repositories you can see. Check the spelling, or ask whether the change was merged at all."</p></section> }.into_any();
    }
    view! {
        <section class="panel">
            <ul class="results" data-test="search-results">
                {found.into_iter().map(|f| {
                    let verdict = match &f.first_release {
                        Some(tag) => format!("Released in {tag}"),
                        None => "Not released yet".to_owned(),
                    };
                    let later = if f.releases.len() > 1 {
                        format!(" and {} later release(s): {}", f.releases.len() - 1, f.releases[1..].iter().rev().take(5).cloned().collect::<Vec<_>>().join(", "))
                    } else { String::new() };
                    let short = f.short_id.clone();
                    view! {
                        <li data-test="search-result">
                            <p><strong class:released=f.first_release.is_some()>{verdict}</strong>{later}</p>
                            <p>{f.subject.clone()}</p>
                            <p class="muted">
                                <a href=format!("/projects/{}/releases", f.project_slug)>{f.project_name.clone()}</a>
                                " · "
                                {match f.url.clone() { Some(u) => view! { <a href=u rel="noopener noreferrer"><code>{short}</code></a> }.into_any(), None => view! { <code>{short}</code> }.into_any() }}
                                " · " {f.author.clone()}
                            </p>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }.into_any()
}
