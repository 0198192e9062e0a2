//! The releases of a project and the form to create one (on the project's
//! Releases page).

use super::api::{list_releases, CreateRelease};
use crate::components::{ErrorPanel, FormAlert, FormErrors, Loading, TextField};
use crate::notes::api::list_notes;
use leptos::form::ActionForm;
use leptos::prelude::*;

#[component]
pub fn ReleaseSection(#[prop(into)] slug: Signal<String>) -> impl IntoView {
    let create = ServerAction::<CreateRelease>::new();
    let errors = FormErrors::from_action(create.value());
    let releases = Resource::new(
        move || (slug.get(), create.version().get()),
        |(s, _)| list_releases(s),
    );
    let notes = Resource::new(move || slug.get(), list_notes);
    view! {
        <section class="panel" data-test="release-list">
            <h2>"Releases"</h2>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    let s = slug.get();
                    match releases.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted">"No releases yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <table class="table">
                                <thead><tr><th>"Version"</th><th>"State"</th><th>"Reached"</th><th>"Planned"</th></tr></thead>
                                <tbody>
                                {list.into_iter().map(|r| {
                                    let href = format!("/projects/{s}/releases/{}", r.id);
                                    view! {
                                        <tr data-test="release-row">
                                            <td><a href=href>{r.version.clone()}</a> " " <span class="muted">{r.title.clone()}</span></td>
                                            <td><span class=format!("badge state-{}", r.state.as_str())>{r.state.label()}</span></td>
                                            <td>{r.reached_environment.clone().unwrap_or_else(|| "—".into())}</td>
                                            <td>{r.planned.clone().unwrap_or_else(|| "—".into())}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                    }
                })}
            </Suspense>
            <details>
                <summary>"Create a release"</summary>
                <ActionForm action=create attr:class="form" attr:data-test="create-release-form">
                    <FormAlert errors/>
                    <input type="hidden" name="slug" value=slug/>
                    <TextField label="Version" name="version" error_key="version" errors required=true maxlength=60
                        hint="e.g. 1.4.0 — usually the version Slipway computed above."/>
                    <TextField label="Title" name="title" error_key="title" errors maxlength=120 hint="A few words people recognise, e.g. Coupons."/>
                    <div class="field">
                        <label for="release-notes">"Release notes" <span class="optional">" (optional)"</span></label>
                        <select id="release-notes" name="notes_id">
                            <option value="">"None"</option>
                            <Suspense>
                                {move || Suspend::new(async move {
                                    notes.await.unwrap_or_default().into_iter().map(|n| view! {
                                        <option value=n.id.to_string()>{format!("{} ({})", n.tag_name, if n.published { "published" } else { "draft" })}</option>
                                    }).collect_view()
                                })}
                            </Suspense>
                        </select>
                    </div>
                    <TextField label="Commit (artifact)" name="artifact" error_key="artifact" errors maxlength=128
                        hint="The commit this release ships. Leave empty to use the notes' commit. Approvals are bound to it."/>
                    <TextField label="Planned date" name="planned" error_key="planned" errors input_type="date" maxlength=10/>
                    <p class="actions"><button type="submit" class="button primary" data-test="create-release">"Create release"</button></p>
                </ActionForm>
            </details>
        </section>
    }
}
