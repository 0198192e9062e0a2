//! Slipway's user interface: routes, pages, components and the server
//! functions they call. Server functions are thin: authenticate, parse, call a
//! service from `slipway-services`, map the error. They are compiled into the
//! server (feature `ssr`) and become HTTP calls in the browser (`hydrate`).

// Deeply nested views make deep types; the release wasm build needs room.
#![recursion_limit = "256"]

pub mod audit;
pub mod calendar;
pub mod components;
pub mod error;
pub mod home;
pub mod notes;
pub mod notifications;
pub mod projects;
pub mod releases;
pub mod repository;
#[cfg(feature = "ssr")]
pub mod response;
pub mod search;
#[cfg(feature = "ssr")]
pub mod server;
pub mod session;
pub mod users;

use components::layout::{Footer, TopBar};
use components::NotFound;
use error::AppError;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, Meta, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};
use slipway_domain::read::CurrentUser;

/// The HTML document around every page (server only).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    leptos::nonce::provide_nonce();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// Who is signed in, shared by the navigation and pages.
#[derive(Clone, Copy)]
pub struct Session {
    pub user: Resource<Result<Option<CurrentUser>, AppError>>,
    pub login: ServerAction<session::api::Login>,
    pub logout: ServerAction<session::api::Logout>,
    pub change_password: ServerAction<session::api::ChangePassword>,
}

pub fn use_session() -> Option<Session> {
    use_context::<Session>()
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let login = ServerAction::<session::api::Login>::new();
    let logout = ServerAction::<session::api::Logout>::new();
    let change_password = ServerAction::<session::api::ChangePassword>::new();
    let user = Resource::new(
        move || {
            (
                login.version().get(),
                logout.version().get(),
                change_password.version().get(),
            )
        },
        |_| session::api::whoami(),
    );
    provide_context(Session {
        user,
        login,
        logout,
        change_password,
    });

    // Set once the WebAssembly bundle has taken over the page; tests and
    // styles use it to tell "server-rendered" from "interactive".
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    view! {
        <Meta http_equiv="Content-Security-Policy" content=csp/>
        <Link rel="stylesheet" href="/pkg/slipway.css"/>
        <Link rel="icon" href="/favicon.svg"/>
        // Every page's title goes through this one formatter, which escapes it.
        <Title formatter=crate::components::page_title/>
        <Router>
            <div class="app" data-hydrated=move || hydrated.get().to_string()>
                <TopBar/>
                <main id="main" tabindex="-1">
                    <Routes fallback=NotFound>
                        <Route path=path!("/") view=home::HomePage ssr=SsrMode::Async/>
                        <Route path=path!("/login") view=session::login::LoginPage ssr=SsrMode::Async/>
                        <Route path=path!("/account") view=session::account::AccountPage ssr=SsrMode::Async/>
                        <Route path=path!("/projects") view=projects::list::ProjectsPage ssr=SsrMode::Async/>
                        <Route path=path!("/projects/new") view=projects::new::NewProjectPage ssr=SsrMode::Async/>
                        <Route path=path!("/projects/:slug") view=projects::detail::ProjectPage ssr=SsrMode::Async/>
                        <Route path=path!("/projects/:slug/edit") view=projects::edit::EditProjectPage ssr=SsrMode::Async/>
                        <Route path=path!("/projects/:slug/repository") view=repository::settings::RepositoryPage ssr=SsrMode::Async/>
                        <Route path=path!("/projects/:slug/releases") view=repository::releases::ReleasesPage ssr=SsrMode::Async/>
                        <Route path=path!("/projects/:slug/releases/:id") view=releases::signoff::ReleasePage ssr=SsrMode::Async/>
                        <Route path=path!("/projects/:slug/policies") view=releases::policies::PoliciesPage ssr=SsrMode::Async/>
                        <Route path=path!("/projects/:slug/notes/:id") view=notes::editor::NotesPage ssr=SsrMode::Async/>
                        <Route path=path!("/search") view=search::page::SearchPage ssr=SsrMode::Async/>
                        <Route path=path!("/calendar") view=calendar::page::CalendarPage ssr=SsrMode::Async/>
                        <Route path=path!("/audit") view=audit::page::AuditPageView ssr=SsrMode::Async/>
                        <Route path=path!("/admin/users") view=users::list::UsersPage ssr=SsrMode::Async/>
                        <Route path=path!("/admin/users/new") view=users::new::NewUserPage ssr=SsrMode::Async/>
                        <Route path=path!("/admin/users/:username") view=users::detail::UserPage ssr=SsrMode::Async/>
                    </Routes>
                </main>
                <Footer/>
            </div>
        </Router>
    }
}

/// The page's Content-Security-Policy: scripts only from this site and the
/// per-response nonce on Leptos's own inline scripts.
fn csp() -> String {
    #[cfg(feature = "ssr")]
    {
        leptos::nonce::use_nonce()
            .map(|nonce| {
                format!(
                    "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
                     style-src 'self'; img-src 'self' data:; connect-src 'self'; \
                     object-src 'none'; base-uri 'self'"
                )
            })
            .unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        String::new()
    }
}
