//! Post-release reviews after break-glass: listed on the dashboard (open
//! ones, across projects) and on the project page (all), until closed.

use super::api::{list_reviews, CloseReview};
use crate::components::{FormAlert, FormErrors};
use leptos::form::ActionForm;
use leptos::prelude::*;

/// `slug` empty: the open reviews of every project the viewer sees.
#[component]
pub fn Reviews(#[prop(into)] slug: Signal<String>) -> impl IntoView {
    let close = ServerAction::<CloseReview>::new();
    let errors = FormErrors::from_action(close.value());
    let reviews = Resource::new(
        move || (slug.get(), close.version().get()),
        |(s, _)| list_reviews(s),
    );
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                let list = reviews.await.unwrap_or_default();
                (!list.is_empty()).then(|| view! {
                    <section class="panel alert-warn" data-test="reviews">
                        <h2>"Post-release reviews"</h2>
                        <p class="hint">"Someone broke glass to ship these without the usual sign-off. The people named review what happened before the due date; the review closes when all of them have given their conclusion."</p>
                        <FormAlert errors/>
                        <ul class="list">
                            {list.into_iter().map(|r| {
                                let href = format!("/projects/{}/releases/{}", r.project_slug, r.release_id);
                                view! {
                                    <li data-test="review">
                                        <a href=href>{format!("{} {}", r.project_name, r.version)}</a>
                                        {r.environment.clone().map(|e| format!(" → {e}"))}
                                        {if r.overdue {
                                            view! { " " <span class="badge danger" data-test="overdue">"overdue"</span> }.into_any()
                                        } else { ().into_any() }}
                                        <p>{format!("Broke glass: {} ({}, {}). Due {}.", r.reason, r.opened_by, r.opened_at, r.due_at)}</p>
                                        {(!r.bypassed.is_empty()).then(|| view! {
                                            <p class="muted">{format!("Bypassed: {}", r.bypassed.join(" "))}</p>
                                        })}
                                        <ul class="reviewers" data-test="reviewers">
                                            {r.reviewers.iter().map(|v| view! {
                                                <li>
                                                    <strong>{v.name.clone()}</strong>
                                                    {match v.done.clone() {
                                                        Some(d) => format!(" — {d}"),
                                                        None => " — has not concluded yet".to_owned(),
                                                    }}
                                                </li>
                                            }).collect_view()}
                                        </ul>
                                        {r.closed.clone().map(|c| view! { <p class="muted">{c}</p> })}
                                        {r.can_close.then(|| view! {
                                            <ActionForm action=close attr:class="inline-form">
                                                <input type="hidden" name="slug" value=r.project_slug.clone()/>
                                                <input type="hidden" name="review" value=r.id.to_string()/>
                                                <div class="field grow">
                                                    <label for=format!("review-{}", r.id)>"Your conclusion"</label>
                                                    <input id=format!("review-{}", r.id) name="conclusion" required minlength="10" maxlength="4000"/>
                                                </div>
                                                <button type="submit" class="button">"Give my conclusion"</button>
                                            </ActionForm>
                                        })}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    </section>
                })
            })}
        </Suspense>
    }
}
