use super::api::list_users;
use crate::components::{ErrorPanel, Loading};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn UsersPage() -> impl IntoView {
    let users = Resource::new(|| (), |_| list_users());
    view! {
        <Title text="Users"/>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match users.await {
                    Ok(list) => view! {
                        <section class="page-head">
                            <h1>"Users"</h1>
                            <p class="lead">"People who can sign in, and the roles they hold. Roles are granted per project or for all projects."</p>
                            <p class="actions"><a class="button primary" href="/admin/users/new" data-test="new-user">"New user"</a></p>
                        </section>
                        <div class="table-wrap">
                        <table class="table" data-test="user-table">
                            <thead><tr><th scope="col">"User"</th><th scope="col">"Roles"</th><th scope="col">"Status"</th><th scope="col">"Created"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|u| {
                                    let roles = u.grants.iter().map(|g| match &g.project_name {
                                        Some(p) => format!("{} ({p})", g.role.label()),
                                        None => format!("{} (all projects)", g.role.label()),
                                    }).collect::<Vec<_>>().join(", ");
                                    view! {
                                        <tr>
                                            <td><a href=format!("/admin/users/{}", u.username)>{u.display_name}</a>
                                                <br/><code class="muted">{u.username}</code></td>
                                            <td>{if roles.is_empty() { "No roles yet".to_owned() } else { roles }}</td>
                                            <td>{if u.disabled { "Disabled" } else if u.must_change_password { "Must change password" } else { "Active" }}</td>
                                            <td>{u.created_at}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                        </div>
                    }.into_any(),
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
