//! "Subscribe": private links to follow the calendar in a calendar app
//! (iCalendar feeds), made, listed and revoked here.

use super::api::{list_feeds, CreateFeed, RevokeFeed};
use crate::components::{ErrorPanel, FormAlert, FormErrors, Loading};
use leptos::form::ActionForm;
use leptos::prelude::*;
use slipway_domain::read::CalendarProject;

#[component]
pub(super) fn Subscribe(
    projects: Vec<CalendarProject>,
    create: ServerAction<CreateFeed>,
    revoke: ServerAction<RevokeFeed>,
) -> impl IntoView {
    let feeds = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_feeds(),
    );
    let errors = FormErrors::from_action(create.value());
    view! {
        <section class="panel" data-test="subscribe">
            <h2>"Subscribe"</h2>
            <p>"Follow the release calendar in Google Calendar, Outlook or Apple Calendar with a private link. It shows what you can see in Slipway, and updates by itself."</p>
            <ActionForm action=create attr:class="inline-form" attr:data-test="feed-form">
                <div class="field">
                    <label for="feed-project">"Calendar of"</label>
                    <select id="feed-project" name="project">
                        <option value="">"All my projects"</option>
                        {projects.into_iter().map(|p| view! { <option value=p.slug.clone()>{p.name}</option> }).collect_view()}
                    </select>
                </div>
                <p class="actions"><button type="submit" class="button primary">"Create a private link"</button></p>
            </ActionForm>
            <FormAlert errors/>
            {move || create.value().get().and_then(Result::ok).map(|url| view! {
                <div class="alert alert-ok cal-feed" role="status" data-test="feed-link">
                    <p><strong>"Your private calendar link. It is shown only now: copy it."</strong></p>
                    <input class="cal-feed-url" type="text" readonly=true value=url aria-label="Private calendar link"/>
                    <ul>
                        <li><strong>"Google Calendar: "</strong>"Other calendars → + → From URL, paste the link, Add calendar."</li>
                        <li><strong>"Outlook: "</strong>"Add calendar → Subscribe from web, paste the link, Import."</li>
                        <li><strong>"Apple Calendar: "</strong>"File → New Calendar Subscription, paste the link."</li>
                    </ul>
                    <p class="hint">"Anyone with the link can read this calendar. If it leaks, revoke it below and make a new one."</p>
                </div>
            })}
            <h3>"Your links"</h3>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match feeds.await {
                        Ok(list) if list.is_empty() => view! { <p class="empty">"You have no calendar links."</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="cal-policies" data-test="feeds">
                                {list.into_iter().map(|f| {
                                    let what = f.project_name.clone().unwrap_or_else(|| "All my projects".into());
                                    view! {
                                        <li data-test="feed">
                                            <div>
                                                <strong>{what}</strong>
                                                <br/><span class="muted">{format!("Created {}", f.created_at)}</span>
                                                {f.revoked_at.clone().map(|r| view! { <br/><span class="muted">{format!("Revoked {r}")}</span> })}
                                            </div>
                                            {f.revoked_at.is_none().then(|| view! {
                                                <ActionForm action=revoke attr:class="inline">
                                                    <input type="hidden" name="id" value=f.id.to_string()/>
                                                    <button type="submit" class="button small danger">"Revoke"</button>
                                                </ActionForm>
                                            })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
