//! `/projects/:slug/notes/:id`: edit release notes with a live preview,
//! regenerate from new commits (edits are kept, conflicts marked), compare
//! and restore revisions, publish.

use super::api::{
    diff_revisions, get_notes, preview_notes, PublishNotes, RegenerateNotes, RestoreRevision,
    SaveNotes,
};
use crate::components::{textarea_text, ErrorPanel, FormAlert, FormErrors, Loading};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use slipway_domain::notes::LineChange;
use slipway_domain::read::NotesView;
use std::time::Duration;

/// Every action on this page; the notes reload after any of them.
#[derive(Clone, Copy)]
struct NotesActions {
    save: ServerAction<SaveNotes>,
    regenerate: ServerAction<RegenerateNotes>,
    restore: ServerAction<RestoreRevision>,
    publish: ServerAction<PublishNotes>,
}

#[component]
pub fn NotesPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let compare = move || {
        query
            .read()
            .get("compare")
            .and_then(|s| s.parse::<i64>().ok())
    };
    let actions = NotesActions {
        save: ServerAction::new(),
        regenerate: ServerAction::new(),
        restore: ServerAction::new(),
        publish: ServerAction::new(),
    };
    let notes = Resource::new(
        move || {
            (
                slug(),
                id(),
                actions.save.version().get(),
                actions.regenerate.version().get(),
                actions.restore.version().get(),
                actions.publish.version().get(),
            )
        },
        |(s, i, ..)| get_notes(s, i),
    );
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match notes.await {
                    Ok(n) => view! { <NotesEditor n actions compare=Signal::derive(compare)/> }.into_any(),
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn NotesEditor(n: NotesView, actions: NotesActions, compare: Signal<Option<i64>>) -> impl IntoView {
    let save_errors = FormErrors::from_action(actions.save.value());
    let regen_errors = FormErrors::from_action(actions.regenerate.value());
    let restore_errors = FormErrors::from_action(actions.restore.value());
    let publish_errors = FormErrors::from_action(actions.publish.value());
    let regenerated = move || {
        match actions.regenerate.value().get() {
        Some(Ok((rev, 0))) => Some(format!("Regenerated as revision {rev}: new commits were added and your edits kept.")),
        Some(Ok((rev, c))) => Some(format!("Regenerated as revision {rev} with {c} conflict(s): the marked blocks changed on both sides. Keep the version you want, delete the markers and save.")),
        _ => None,
    }
    };
    let saved = move || matches!(actions.save.value().get(), Some(Ok(_)));
    let published = move || match actions.publish.value().get() {
        Some(Ok(tag)) => Some(tag),
        _ => None,
    };

    // Live preview: rendered and sanitized by the server, 250 ms after typing stops.
    let (preview_html, set_preview_html) = signal(n.html.clone());
    let typed = StoredValue::new(0u64);
    let on_input = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        let generation = typed.get_value() + 1;
        typed.set_value(generation);
        set_timeout(
            move || {
                if typed.get_value() != generation {
                    return;
                }
                leptos::task::spawn_local(async move {
                    if let Ok(html) = preview_notes(text).await {
                        if typed.get_value() == generation {
                            set_preview_html.set(html);
                        }
                    }
                });
            },
            Duration::from_millis(250),
        );
    };

    let project_href = format!("/projects/{}", n.project_slug);
    let releases_href = format!("/projects/{}/releases", n.project_slug);
    let status = if n.published {
        format!(
            "Published as {} on {}.",
            n.tag_name,
            n.published_at.clone().unwrap_or_default()
        )
    } else {
        format!("Draft, revision {}.", n.revision)
    };
    let base = n
        .base_tag
        .clone()
        .unwrap_or_else(|| "the first commit".to_owned());
    let slug = n.project_slug.clone();
    let (id, rev) = (n.id.to_string(), n.revision.to_string());
    let current = n.revision;
    let diff = Resource::new(move || compare.get(), {
        let slug = slug.clone();
        let id = n.id;
        move |c| {
            let slug = slug.clone();
            async move {
                match c {
                    Some(from) => diff_revisions(slug, id, from, current).await.map(Some),
                    None => Ok(None),
                }
            }
        }
    });
    let hidden = {
        let (slug, id, rev) = (slug.clone(), id.clone(), rev.clone());
        move || {
            view! {
                <input type="hidden" name="slug" value=slug.clone()/>
                <input type="hidden" name="id" value=id.clone()/>
                <input type="hidden" name="expected_revision" value=rev.clone()/>
            }
        }
    };
    view! {
        <Title text=format!("Release notes {}", n.tag_name)/>
        <section class="page-head">
            <p class="breadcrumb">
                <a href="/projects">"Projects"</a> " / " <a href=project_href>{n.project_name.clone()}</a>
                " / " <a href=releases_href>"Releases"</a>
            </p>
            <h1 data-test="notes-title">"Release notes for " {n.tag_name.clone()}</h1>
            <p class="lead" data-test="notes-status">{status}</p>
            <p class="muted">{format!("Changes since {base} up to commit {} on {}.", n.tip_commit.chars().take(7).collect::<String>(), n.rev)}</p>
        </section>
        {(n.conflicts > 0 && !n.published).then(|| view! {
            <p class="alert alert-warn" role="alert" data-test="conflicts">
                {format!("{} conflict(s) from regeneration: look for the blocks between \"<<<<<<< your edit\" and \">>>>>>> regenerated\". Keep what you want, remove the markers, then save. Publishing waits until no conflict is left.", n.conflicts)}
            </p>
        })}
        {move || regenerated().map(|m| view! { <p class="alert alert-ok" role="status" data-test="regenerated">{m}</p> })}
        {move || published().map(|t| view! { <p class="alert alert-ok" role="status" data-test="published">"Published " <code>{t}</code> ": the tag is pushed with these notes."</p> })}
        <section class="panel notes-editor">
            <div class="notes-columns">
                <div>
                    <h2>"Markdown"</h2>
                    {if n.can_edit {
                        let hidden = hidden.clone();
                        view! {
                            <ActionForm action=actions.save attr:class="form" attr:data-test="notes-form">
                                <FormAlert errors=save_errors/>
                                {move || saved().then(|| view! { <p class="alert alert-ok" role="status" data-test="saved">"Saved."</p> })}
                                {hidden()}
                                <label for="notes-body" class="visually-hidden">"Release notes (markdown)"</label>
                                // The text child renders it on the server (escaped: the
                                // notes may contain `</textarea>`); `prop:value`
                                // replaces what was typed when the notes reload.
                                <textarea id="notes-body" name="body" rows="24" spellcheck="true" data-test="notes-body"
                                    prop:value=n.body.clone() on:input=on_input>{textarea_text(n.body.clone())}</textarea>
                                <p class="actions"><button type="submit" class="button primary" data-test="save-notes">"Save"</button></p>
                            </ActionForm>
                        }.into_any()
                    } else {
                        view! { <pre class="notes-source">{n.body.clone()}</pre> }.into_any()
                    }}
                </div>
                <div>
                    <h2>"Preview"</h2>
                    <div class="notes-preview" data-test="notes-preview" inner_html=move || preview_html.get()></div>
                </div>
            </div>
        </section>
        {n.can_edit.then(|| {
            let hidden = hidden.clone();
            view! {
                <section class="panel">
                    <h2>"New commits?"</h2>
                    <p class="hint">"Regenerate fetches the repository and adds entries for new commits. Your edits — reworded entries, removed entries, added text — are kept; where a line changed on both sides, both versions are shown for you to choose."</p>
                    <ActionForm action=actions.regenerate attr:class="inline">
                        <FormAlert errors=regen_errors/>
                        {hidden()}
                        <button type="submit" class="button" data-test="regenerate-notes">"Regenerate from commits"</button>
                    </ActionForm>
                </section>
            }
        })}
        {n.can_publish.then(|| {
            let hidden = hidden.clone();
            let tag = n.tag_name.clone();
            view! {
                <section class="panel">
                    <h2>"Publish"</h2>
                    <p class="hint">{format!("Creates the annotated tag {tag} on commit {} with these notes as its message, and pushes it. A published tag is never moved.", n.tip_commit.chars().take(7).collect::<String>())}</p>
                    <ActionForm action=actions.publish attr:class="inline">
                        <FormAlert errors=publish_errors/>
                        {hidden()}
                        <button type="submit" class="button primary" data-test="publish-notes">"Publish " {tag.clone()}</button>
                    </ActionForm>
                </section>
            }
        })}
        <section class="panel">
            <h2>"Revisions"</h2>
            <FormAlert errors=restore_errors/>
            <table class="table" data-test="revisions">
                <thead><tr><th>"#"</th><th>"What"</th><th>"Who"</th><th>"When"</th><th></th></tr></thead>
                <tbody>
                {n.revisions.iter().map(|r| {
                    let is_current = r.number == current;
                    let compare_href = format!("?compare={}", r.number);
                    let hidden = hidden.clone();
                    let number = r.number.to_string();
                    let what = match r.kind.as_str() {
                        "generated" => "generated from commits",
                        "edited" => "edited",
                        "regenerated" => "regenerated (edits merged)",
                        "restored" => "restored an earlier revision",
                        other => other,
                    }.to_owned() + &if r.conflicts > 0 { format!(", {} conflict(s)", r.conflicts) } else { String::new() };
                    view! {
                        <tr>
                            <td>{r.number}</td>
                            <td>{what}</td>
                            <td>{r.author.clone()}</td>
                            <td>{r.created_at.clone()}</td>
                            <td>
                                {if is_current { view! { <span class="muted">"current"</span> }.into_any() } else {
                                    view! {
                                        <a href=compare_href>"Compare with current"</a>
                                        {n.can_edit.then(|| view! {
                                            <ActionForm action=actions.restore attr:class="inline">
                                                {hidden()}
                                                <input type="hidden" name="number" value=number.clone()/>
                                                <button type="submit" class="button small">"Restore"</button>
                                            </ActionForm>
                                        })}
                                    }.into_any()
                                }}
                            </td>
                        </tr>
                    }
                }).collect_view()}
                </tbody>
            </table>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match diff.await {
                        Ok(Some(lines)) => view! {
                            <h3>{format!("Changes from revision {} to the current one", compare.get().unwrap_or_default())}</h3>
                            <pre class="diff" data-test="diff">
                                {lines.into_iter().map(|l| {
                                    let (class, sign) = match l.change {
                                        LineChange::Added => ("added", "+ "),
                                        LineChange::Removed => ("removed", "- "),
                                        LineChange::Same => ("same", "  "),
                                    };
                                    view! { <span class=class>{sign}{l.text}"\n"</span> }
                                }).collect_view()}
                            </pre>
                        }.into_any(),
                        Ok(None) => ().into_any(),
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
