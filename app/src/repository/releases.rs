//! `/projects/:slug/releases`: the next release (version, why, commits,
//! notes preview), release-notes drafts, forward-merge warnings, and
//! release/hotfix branches.

use super::api::{forward_merges, plan_release, CreateBranch};
use crate::components::{ErrorPanel, FormAlert, FormErrors, Loading, TextField};
use crate::notes::api::{list_notes, DraftNotes};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::{use_params_map, use_query_map};
use slipway_domain::read::{ForwardMerge, NotesSummary, PlanView};

#[component]
pub fn ReleasesPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let choice = move || {
        query.with(|q| {
            (
                q.get("ref").unwrap_or_default(),
                q.get("component").unwrap_or_default(),
                q.get("channel").unwrap_or_default(),
            )
        })
    };
    let branch = ServerAction::<CreateBranch>::new();
    let draft = ServerAction::<DraftNotes>::new();
    let plan = Resource::new(
        move || (slug(), choice(), branch.version().get()),
        |(s, (r, c, ch), _)| plan_release(s, r, c, ch),
    );
    let merges = Resource::new(
        move || (slug(), branch.version().get()),
        |(s, _)| forward_merges(s),
    );
    let notes = Resource::new(slug, list_notes);
    view! {
        <Title text="Next release"/>
        <section class="page-head">
            <p class="breadcrumb"><a href="/projects">"Projects"</a> " / " <a href=move || format!("/projects/{}", slug())>{slug}</a></p>
            <h1>"Releases"</h1>
            <p class="lead">"What the next release will be, computed from the commits since the last release tag. Nothing is published until someone clicks Publish on the notes."</p>
        </section>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match merges.await {
                    Ok(m) if !m.is_empty() => view! { <ForwardMerges merges=m/> }.into_any(),
                    _ => ().into_any(),
                }
            })}
        </Suspense>
        <section class="panel">
            <h2>"Release from"</h2>
            <Form method="GET" action="">
                <div class="inline-form">
                    <div class="field">
                        <label for="plan-ref">"Branch, tag or commit"</label>
                        <input id="plan-ref" name="ref" value=move || choice().0 placeholder="main branch"/>
                    </div>
                    <div class="field">
                        <label for="plan-component">"Component"</label>
                        <input id="plan-component" name="component" value=move || choice().1 placeholder="whole repository"/>
                    </div>
                    <div class="field">
                        <label for="plan-channel">"Pre-release channel"</label>
                        <input id="plan-channel" name="channel" value=move || choice().2 placeholder="final release (or rc, beta)"/>
                    </div>
                    <button type="submit" class="button">"Show"</button>
                </div>
            </Form>
        </section>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let s = slug();
                match plan.await {
                    Ok(Some(p)) => view! { <PlanPanel p slug=s draft/> }.into_any(),
                    Ok(None) => view! { <NoRepository slug=s/> }.into_any(),
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                }
            })}
        </Suspense>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let s = slug();
                match notes.await {
                    Ok(list) => view! { <NotesList list slug=s/> }.into_any(),
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                }
            })}
        </Suspense>
        <crate::releases::list::ReleaseSection slug=Signal::derive(slug)/>
        <BranchPanel slug=Signal::derive(slug) branch/>
    }
}

/// The project has no repository yet: releases can still be created by
/// hand (below), and versions and notes come once one is connected.
#[component]
fn NoRepository(slug: String) -> impl IntoView {
    let href = format!("/projects/{slug}/repository");
    view! {
        <section class="panel" data-test="no-repository">
            <h2>"No repository connected yet"</h2>
            <p>"Slipway proposes the next version and drafts release notes from the project's Conventional Commits once its repository is connected. Releases can still be made by hand below."</p>
            <p class="actions"><a class="button primary" href=href>"Connect the repository"</a></p>
        </section>
    }
}

#[component]
fn PlanPanel(p: PlanView, slug: String, draft: ServerAction<DraftNotes>) -> impl IntoView {
    let errors = FormErrors::from_action(draft.value());
    let create = ServerAction::<crate::releases::api::CreateReleaseFromPlan>::new();
    let create_errors = FormErrors::from_action(create.value());
    let headline = match &p.next {
        Some(v) => format!("Next version: {v}"),
        None => "No release is due".to_owned(),
    };
    let since = match (&p.last_release, &p.last_prerelease) {
        (Some(t), Some(pre)) => format!("Since {t} (latest pre-release {pre}), on {}.", p.rev),
        (Some(t), None) => format!("Since {t}, on {}.", p.rev),
        (None, _) => format!(
            "No release tag yet on {}: this is the first release.",
            p.rev
        ),
    };
    let count = p.commits.len();
    let flagged = p.commits.iter().filter(|c| c.non_conforming).count();
    let notes_html = p.notes_html.clone();
    let can_draft = p.next.is_some();
    view! {
        <section class="panel" data-test="plan">
            <h2 data-test="next-version">{headline}</h2>
            <p class="lead" data-test="explanation">{p.explanation.clone()}</p>
            <p class="muted">{since} " " {format!("{count} commit(s)")}
                {(p.merges > 0).then(|| format!(", {} merge commit(s) not listed", p.merges))}
                "."</p>
            {(flagged > 0).then(|| view! {
                <p class="alert alert-warn">{format!("{flagged} commit(s) do not follow Conventional Commits. They are listed under \"Other changes\"; classify them when you edit the notes.")}</p>
            })}
            {(can_draft && p.component.is_none() && p.channel.is_none()).then(|| {
                let (slug, rev, next) = (slug.clone(), p.rev.clone(), p.next.clone().unwrap_or_default());
                view! {
                <ActionForm action=create attr:class="inline" attr:data-test="create-from-plan-form">
                    <FormAlert errors=create_errors/>
                    <input type="hidden" name="slug" value=slug/>
                    <input type="hidden" name="rev" value=rev/>
                    <button type="submit" class="button primary" data-test="create-from-plan">
                        {format!("Create release {next} with these notes")}
                    </button>
                    <p class="hint">"Takes the proposed version, drafts the notes and opens the release for sign-off, in one step."</p>
                </ActionForm>
            }})}
            {can_draft.then(|| view! {
                <ActionForm action=draft attr:class="inline" attr:data-test="draft-form">
                    <FormAlert errors/>
                    <input type="hidden" name="slug" value=slug.clone()/>
                    <input type="hidden" name="rev" value=p.rev.clone()/>
                    <input type="hidden" name="component" value=p.component.clone().unwrap_or_default()/>
                    <input type="hidden" name="channel" value=p.channel.clone().unwrap_or_default()/>
                    <button type="submit" class="button" data-test="draft-notes">"Only draft release notes for " {p.next_tag.clone()}</button>
                </ActionForm>
            })}
            <details>
                <summary>"Commits in this release"</summary>
                <table class="table" data-test="plan-commits">
                    <thead><tr><th>"Commit"</th><th>"Message"</th><th>"Author"</th><th>"Effect"</th></tr></thead>
                    <tbody>
                    {p.commits.into_iter().map(|c| {
                        let effect = if c.cancelled { "reverted in this release" }
                            else if c.breaking { "breaking change" }
                            else if c.non_conforming { "not a Conventional Commit" }
                            else if c.drives_bump { "decides the version" }
                            else { "" };
                        let short = c.short_id.clone();
                        view! {
                            <tr class:cancelled=c.cancelled>
                                <td><code>{match c.url { Some(u) => view! { <a href=u rel="noopener noreferrer">{short}</a> }.into_any(), None => view! { {short} }.into_any() }}</code></td>
                                <td>{c.subject}</td>
                                <td>{c.author}</td>
                                <td>{effect}</td>
                            </tr>
                        }
                    }).collect_view()}
                    </tbody>
                </table>
            </details>
            <h3>"Release notes preview"</h3>
            <div class="notes-preview" inner_html=notes_html></div>
        </section>
    }
}

#[component]
fn NotesList(list: Vec<NotesSummary>, slug: String) -> impl IntoView {
    view! {
        <section class="panel">
            <h2>"Release notes"</h2>
            {if list.is_empty() {
                view! { <p class="muted">"No release notes drafted yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="list" data-test="notes-list">
                        {list.into_iter().map(|n| {
                            let href = format!("/projects/{slug}/notes/{}", n.id);
                            view! {
                                <li>
                                    <a href=href>{n.tag_name.clone()}</a>
                                    " "
                                    <span class="badge">{if n.published { "published" } else { "draft" }}</span>
                                    <span class="muted">{format!(" from {} · {}", n.rev, n.updated_at)}</span>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn ForwardMerges(merges: Vec<ForwardMerge>) -> impl IntoView {
    view! {
        <section class="panel alert-warn" data-test="forward-merges">
            <h2>"Not merged forward yet"</h2>
            <p>"These release or hotfix branches have changes that are not on the main branch (compared by patch, so cherry-picks count as merged). Merge them forward so the next release does not lose the fix."</p>
            {merges.into_iter().map(|m| view! {
                <h3><code>{m.branch.clone()}</code> " → " <code>{m.main.clone()}</code></h3>
                <ul>
                    {m.commits.into_iter().map(|(id, subject)| view! {
                        <li><code>{id.chars().take(7).collect::<String>()}</code> " " {subject}</li>
                    }).collect_view()}
                </ul>
            }).collect_view()}
        </section>
    }
}

#[component]
fn BranchPanel(slug: Signal<String>, branch: ServerAction<CreateBranch>) -> impl IntoView {
    let errors = FormErrors::from_action(branch.value());
    let created = move || match branch.value().get() {
        Some(Ok(name)) => Some(name),
        _ => None,
    };
    view! {
        <section class="panel">
            <h2>"Branches"</h2>
            <p class="hint">"A release branch (release/1.4) stabilises a release while main moves on. A hotfix branch starts from a release tag; its next version is a patch of that tag, whatever happened on main since."</p>
            {move || created().map(|name| view! { <p class="alert alert-ok" role="status">"Created and pushed " <code>{name}</code> "."</p> })}
            <div class="inline-form">
                <ActionForm action=branch attr:class="inline-form">
                    <FormAlert errors/>
                    <input type="hidden" name="slug" value=slug/>
                    <input type="hidden" name="kind" value="release"/>
                    <TextField label="Release branch from" name="from" error_key="from" errors value="main" maxlength=200 id="release-from"/>
                    <button type="submit" class="button">"Create release branch"</button>
                </ActionForm>
                <ActionForm action=branch attr:class="inline-form">
                    <input type="hidden" name="slug" value=slug/>
                    <input type="hidden" name="kind" value="hotfix"/>
                    <TextField label="Hotfix from release tag" name="from" error_key="from" errors maxlength=200 id="hotfix-from"/>
                    <button type="submit" class="button">"Create hotfix branch"</button>
                </ActionForm>
            </div>
        </section>
    }
}
