//! The frame around every page: skip link, top bar with navigation that
//! adapts to the person's roles, and the footer.

use crate::use_session;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn TopBar() -> impl IntoView {
    let session = use_session();
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="topbar">
            <a class="brand" href="/" aria-label="Slipway home">
                <img class="brand-mark" src="/favicon.svg" alt="" width="24" height="24"/>
                <span>"Slipway"</span>
            </a>
            <Transition fallback=|| ()>
                {move || session.map(|s| Suspend::new(async move {
                    match s.user.await {
                        Ok(Some(u)) => {
                            let logout = s.logout;
                            view! {
                                <nav class="mainnav" aria-label="Main">
                                    <A href="/" exact=true>"Dashboard"</A>
                                    <A href="/projects">"Projects"</A>
                                    <A href="/search">"Where is my change?"</A>
                                    <A href="/calendar">"Calendar"</A>
                                    {u.can_view_audit.then(|| view! { <A href="/audit">"Audit log"</A> })}
                                    {u.is_admin.then(|| view! { <A href="/admin/users">"Users"</A> })}
                                </nav>
                                <div class="usermenu">
                                    <A href="/account" attr:data-test="current-user">{u.display_name.clone()}</A>
                                    <ActionForm action=logout attr:class="inline">
                                        <button type="submit" class="link" data-test="sign-out">"Sign out"</button>
                                    </ActionForm>
                                </div>
                                {u.must_change_password.then(|| view! {
                                    <p class="banner" role="status">
                                        "You are using a one-time password. "
                                        <a href="/account">"Choose your own password"</a>
                                        " before you continue."
                                    </p>
                                })}
                            }.into_any()
                        }
                        _ => view! {
                            <nav class="mainnav" aria-label="Main">
                                <a href="/login">"Sign in"</a>
                            </nav>
                        }.into_any(),
                    }
                }))}
            </Transition>
        </header>
    }
}

#[component]
pub fn Footer() -> impl IntoView {
    view! {
        <footer class="footer">
            <p>"Slipway " {env!("CARGO_PKG_VERSION")} " — release management you can trust."</p>
        </footer>
    }
}
