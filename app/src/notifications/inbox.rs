//! The dashboard's "For you" panel: unread notifications first.

use super::api::{my_notifications, MarkRead};
use leptos::form::ActionForm;
use leptos::prelude::*;

#[component]
pub fn Inbox() -> impl IntoView {
    let mark = ServerAction::<MarkRead>::new();
    let list = Resource::new(move || mark.version().get(), |_| my_notifications());
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                let list = list.await.unwrap_or_default();
                let unread = list.iter().filter(|n| !n.read).count();
                (!list.is_empty()).then(|| view! {
                    <section class="panel" data-test="inbox">
                        <h2>"For you" {(unread > 0).then(|| view! { " " <span class="badge" data-test="unread">{format!("{unread} new")}</span> })}</h2>
                        {(unread > 0).then(|| view! {
                            <ActionForm action=mark attr:class="inline">
                                <button type="submit" class="button small" data-test="mark-all-read">"Mark all as read"</button>
                            </ActionForm>
                        })}
                        <ul class="list">
                            {list.into_iter().map(|n| view! {
                                <li class:unread=!n.read data-test="notification">
                                    <a href=n.link.clone()><strong>{n.subject.clone()}</strong></a>
                                    <span class="muted">{format!(" — {}", n.at)}</span>
                                    <p class="pre-line">{n.body.clone()}</p>
                                    {n.email.clone().map(|e| view! { <p class="muted">{e}</p> })}
                                    {(!n.read).then(|| view! {
                                        <ActionForm action=mark attr:class="inline">
                                            <input type="hidden" name="id" value=n.id.to_string()/>
                                            <button type="submit" class="button small">"Mark as read"</button>
                                        </ActionForm>
                                    })}
                                </li>
                            }).collect_view()}
                        </ul>
                    </section>
                })
            })}
        </Suspense>
    }
}
