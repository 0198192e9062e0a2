//! `/projects/:slug/repository`: connect the repository, set the release
//! policy, fetch now.

use super::api::{get_repository, ConfigureRepository, FetchRepository};
use super::form::RepositoryForm;
use crate::components::{
    textarea_text, CheckboxField, ErrorPanel, FieldError, FormAlert, FormErrors, Loading, TextField,
};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use slipway_domain::read::RepositoryView;

#[component]
pub fn RepositoryPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let configure = ServerAction::<ConfigureRepository>::new();
    let fetch = ServerAction::<FetchRepository>::new();
    let repo = Resource::new(
        move || (slug(), configure.version().get(), fetch.version().get()),
        |(s, ..)| get_repository(s),
    );
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match repo.await {
                    Ok(r) => view! { <RepositoryView r configure fetch/> }.into_any(),
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn RepositoryView(
    r: RepositoryView,
    configure: ServerAction<ConfigureRepository>,
    fetch: ServerAction<FetchRepository>,
) -> impl IntoView {
    let errors = FormErrors::from_action(configure.value());
    let fetch_errors = FormErrors::from_action(fetch.value());
    let saved = move || matches!(configure.value().get(), Some(Ok(())));
    let fetched = move || matches!(fetch.value().get(), Some(Ok(())));
    let f = RepositoryForm::from_policy(
        r.url.clone(),
        r.web_url.clone(),
        r.credential.clone(),
        r.issue_url.clone(),
        &r.policy,
        r.fetch_interval_s,
    );
    let project_href = format!("/projects/{}", r.project_slug);
    let releases_href = format!("/projects/{}/releases", r.project_slug);
    let (slug1, slug2) = (r.project_slug.clone(), r.project_slug.clone());
    let status = match (&r.last_fetched_at, &r.last_fetch_error) {
        (None, _) => "Not fetched yet.".to_owned(),
        (Some(at), None) => format!(
            "Last fetched {at}{}.",
            r.last_fetch_ms
                .map(|ms| format!(" (took {ms} ms)"))
                .unwrap_or_default()
        ),
        (Some(at), Some(e)) => format!("The last fetch at {at} failed: {e}"),
    };
    let credentials = r.credentials_available.clone();
    let current_credential = f.credential.clone();
    let calver = f.scheme == "calver";
    let other = f.other_bump.clone();
    view! {
        <Title text=format!("Repository of {}", r.project_name)/>
        <section class="page-head">
            <p class="breadcrumb"><a href="/projects">"Projects"</a> " / " <a href=project_href>{r.project_name.clone()}</a></p>
            <h1>"Repository and versioning"</h1>
            <p class="lead">"Slipway reads this repository's Conventional Commits to compute the next version and draft the release notes. It keeps a mirror and fetches it on a schedule."</p>
            {r.connected.then(|| view! { <p class="actions"><a class="button primary" href=releases_href>"See the next release"</a></p> })}
        </section>
        {r.connected.then(|| view! {
            <section class="panel">
                <h2>"Mirror"</h2>
                <p data-test="fetch-status" class=if r.last_fetch_error.is_some() { "alert alert-error" } else { "" }>{status}</p>
                {move || fetched().then(|| view! { <p class="alert alert-ok" role="status">"Fetched."</p> })}
                {r.can_fetch.then(|| view! {
                    <ActionForm action=fetch attr:class="inline">
                        <FormAlert errors=fetch_errors/>
                        <input type="hidden" name="slug" value=slug2.clone()/>
                        <button type="submit" class="button" data-test="fetch-now">"Fetch now"</button>
                    </ActionForm>
                })}
            </section>
        })}
        <section class="panel">
            <h2>"Connection"</h2>
            {(!r.can_configure).then(|| view! { <p class="hint">"Only admins, release managers and tech leads change these settings."</p> })}
            <ActionForm action=configure attr:class="form" attr:data-test="repository-form">
                <FormAlert errors/>
                {move || saved().then(|| view! { <p class="alert alert-ok" role="status">"Saved."</p> })}
                <input type="hidden" name="slug" value=slug1/>
                <fieldset disabled=!r.can_configure>
                <TextField label="Repository URL or path" name="form[url]" error_key="url" errors required=true maxlength=2000 value=f.url.clone()
                    hint="https://, ssh:// or git://; file:// or an absolute path only inside a directory the server allows (its local_repositories setting). Never put a user name or token in the URL: choose a credential below."/>
                <TextField label="Web address" name="form[web_url]" error_key="web_url" errors maxlength=500 value=f.web_url.clone()
                    hint="e.g. https://github.com/acme/shop: release notes link commits and pull requests there."/>
                <div class="field">
                    <label for="form-credential">"Credential" <span class="optional">" (optional)"</span></label>
                    <p class="hint" id="form-credential-hint">"Tokens and SSH keys live in the server's configuration ([git_credentials.NAME]); pick one by name. They are never shown."</p>
                    <select id="form-credential" name="form[credential]" aria-describedby="form-credential-hint">
                        <option value="" selected=current_credential.is_empty()>"None (public or local repository)"</option>
                        {credentials.into_iter().map(|c| {
                            let selected = c == current_credential;
                            view! { <option value=c.clone() selected=selected>{c.clone()}</option> }
                        }).collect_view()}
                    </select>
                    <FieldError errors error_key="credential" id="form-credential-error"/>
                </div>
                <TextField label="Issue tracker link" name="form[issue_url]" error_key="issue_url" errors maxlength=500 value=f.issue_url.clone()
                    hint="For keys like SHOP-123: an address containing {key}, e.g. https://jira.example.com/browse/{key}."/>
                <TextField label="Fetch every (seconds)" name="form[fetch_interval_s]" error_key="fetch_interval_s" errors maxlength=8 value=f.fetch_interval_s.clone()
                    hint="0 fetches only when someone asks (Fetch now, drafting or publishing)."/>
                <h3>"Versioning policy"</h3>
                <div class="field">
                    <label for="form-scheme">"Scheme"</label>
                    <select id="form-scheme" name="form[scheme]">
                        <option value="semver" selected=!calver>"Semantic Versioning (MAJOR.MINOR.PATCH from the commits)"</option>
                        <option value="calver" selected=calver>"Calendar Versioning (YYYY.M.PATCH)"</option>
                    </select>
                    <FieldError errors error_key="scheme" id="form-scheme-error"/>
                </div>
                <TextField label="Tag prefix" name="form[tag_prefix]" error_key="tag_prefix" errors maxlength=100 value=f.tag_prefix.clone()
                    hint="v gives tags like v1.4.0. Leave empty for bare versions."/>
                <TextField label="Main branch" name="form[main_branch]" error_key="main_branch" errors required=true maxlength=100 value=f.main_branch.clone()/>
                <TextField label="Feature types (minor)" name="form[minor_types]" error_key="types" errors maxlength=200 value=f.minor_types.clone()
                    hint="Commit types that add features, comma separated."/>
                <TextField label="Fix types (patch)" name="form[patch_types]" error_key="patch_types" errors maxlength=200 value=f.patch_types.clone()/>
                <div class="field">
                    <label for="form-other-bump">"Other commit types (docs, chore, ...) and non-conforming commits"</label>
                    <select id="form-other-bump" name="form[other_bump]">
                        <option value="none" selected=other == "none">"Do not make a release"</option>
                        <option value="patch" selected=other == "patch">"Make a patch release"</option>
                        <option value="minor" selected=other == "minor">"Make a minor release"</option>
                    </select>
                    <FieldError errors error_key="other_bump" id="form-other-bump-error"/>
                </div>
                <CheckboxField name="form[breaking_minor_while_zero]" checked=f.breaking_minor_while_zero.is_some()
                    label="While the version is 0.x, breaking changes bump the minor version (0.4.0 → 0.5.0), not the major"/>
                <TextField label="Leave out of release notes" name="form[notes_hidden_types]" error_key="notes_hidden_types" errors maxlength=200 value=f.notes_hidden_types.clone()
                    hint="Commit types that never appear under \"Other changes\", comma separated, e.g. chore, ci, style. Features, fixes, breaking changes and reverts always appear."/>
                <CheckboxField name="form[notes_include_release_commits]" checked=f.notes_include_release_commits.is_some()
                    label="Show release commits (release: v1.2.3, chore(release): …) in the notes"/>
                <CheckboxField name="form[notes_include_bot_updates]" checked=f.notes_include_bot_updates.is_some()
                    label="Show dependency updates made by bots (Dependabot, Renovate) under \"Other changes\""/>
                <TextField label="First version" name="form[initial_version]" error_key="initial_version" errors required=true maxlength=40 value=f.initial_version.clone()
                    hint="Used when the repository has no release tag yet."/>
                <div class="field">
                    <label for="form-components">"Components (monorepo)" <span class="optional">" (optional)"</span></label>
                    <p class="hint" id="form-components-hint">"One per line: name, tag prefix, paths (comma separated). Example: api api-v services/api,shared/proto"</p>
                    <textarea id="form-components" name="form[components]" rows="3" aria-describedby="form-components-hint">{textarea_text(f.components.clone())}</textarea>
                    <FieldError errors error_key="components" id="form-components-error"/>
                </div>
                </fieldset>
                {r.can_configure.then(|| view! { <p class="actions"><button type="submit" class="button primary" data-test="save-repository">"Save"</button></p> })}
            </ActionForm>
        </section>
    }
}
