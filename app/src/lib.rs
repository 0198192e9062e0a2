//! Slipway's user interface: routes, pages, components and the server
//! functions they call. Server functions are thin: authenticate, parse, call a
//! service from `slipway-services`, map the error. They are compiled into the
//! server (feature `ssr`) and become HTTP calls in the browser (`hydrate`).

// Deeply nested views make deep types; the release wasm build needs room.
#![recursion_limit = "256"]

pub mod audit;
pub mod calendar;
pub mod components;
pub mod config_drift;
pub mod deployments;
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
pub mod tokens;
pub mod users;

use components::layout::{Footer, TopBar};
use components::NotFound;
use error::AppError;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, Meta, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, Lazy, SsrMode};
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
                        <Route path=path!("/") view={Lazy::<pages::Dashboard>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/login") view={Lazy::<pages::SignIn>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/account") view={Lazy::<pages::Account>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/projects") view={Lazy::<pages::Projects>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/projects/new") view={Lazy::<pages::NewProject>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/projects/:slug") view={Lazy::<pages::Project>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/projects/:slug/edit") view={Lazy::<pages::EditProject>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/projects/:slug/repository") view={Lazy::<pages::Repository>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/projects/:slug/releases") view={Lazy::<pages::Releases>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/projects/:slug/releases/:id") view={Lazy::<pages::Release>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/projects/:slug/policies") view={Lazy::<pages::Policies>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/projects/:slug/config") view={Lazy::<pages::Config>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/projects/:slug/environments/:env") view={Lazy::<pages::Environment>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/projects/:slug/notes/:id") view={Lazy::<pages::Notes>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/search") view={Lazy::<pages::Search>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/calendar") view={Lazy::<pages::Calendar>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/audit") view={Lazy::<pages::Audit>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/admin/users") view={Lazy::<pages::Users>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/admin/users/new") view={Lazy::<pages::NewUser>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/admin/users/:username") view={Lazy::<pages::User>::new()} ssr=SsrMode::Async/>
                    </Routes>
                </main>
                <Footer/>
            </div>
        </Router>
    }
}

/// Every page is a lazy route. In the release build (`scripts/build.sh` runs
/// `wasm-split`) the pages' code is not in the main wasm module but in modules
/// fetched when a page is first shown; the server names the modules a page
/// needs in `<link rel="preload">` tags, so the browser fetches them alongside
/// the main module, and `frontend` hydrates with `hydrate_lazy`, which waits
/// for them. The main module keeps what every page needs: the router, the top
/// bar and footer, the session and the not-found page.
///
/// Pages are split in groups, one `#[lazy]` function each, rather than one
/// page per module: wasm-split puts code that several split points share in a
/// module of its own for each combination of them, and with one split point
/// per page that made ~350 modules, up to 171 requests for one page (measured
/// in BENCHMARKS.md). With these groups a page needs at most ~25 modules, and
/// sign-in and the dashboard, the pages people arrive on, are groups of their
/// own, each downloading only its own code.
mod pages {
    use leptos::lazy;
    use leptos::prelude::{AnyView, IntoAny};
    use leptos_router::LazyRoute;

    /// `group: Enum { Route => page component, ... }`: one lazy function,
    /// `group`, that renders any page of the group, and for each page a
    /// lazy route (`Route`) whose view awaits it.
    ///
    /// The router awaits every route's `preload` before it hydrates (or
    /// shows) the page, so `preload` must load the group's module: a view
    /// still loading when hydration reaches it is hydrated as empty and then
    /// rendered a second time. Calling the lazy function is what loads its
    /// module; `Load` renders nothing. (On the server, the same call records
    /// the group, and the page gets preload links for its modules.)
    macro_rules! lazy_group {
        ($(#[$doc:meta])* $group:ident: $enum:ident { $($route:ident => $page:path,)+ }) => {
            #[derive(Clone, Copy)]
            #[repr(u8)]
            pub enum $enum {
                Load,
                $($route,)+
            }

            $(#[$doc])*
            #[lazy]
            fn $group(page: $enum) -> AnyView {
                match page {
                    $enum::Load => ().into_any(),
                    $($enum::$route => $page().into_any(),)+
                }
            }

            $(
                pub struct $route;

                impl LazyRoute for $route {
                    fn data() -> Self {
                        $route
                    }

                    async fn view(_this: Self) -> AnyView {
                        $group($enum::$route).await
                    }

                    async fn preload() {
                        $group($enum::Load).await;
                    }
                }
            )+
        };
    }

    lazy_group! {
        /// Where anonymous visitors land.
        sign_in_page: SignInPage {
            SignIn => crate::session::login::LoginPage,
        }
    }

    lazy_group! {
        /// Where everyone lands after signing in.
        dashboard_page: DashboardPage {
            Dashboard => crate::home::HomePage,
        }
    }

    lazy_group! {
        /// Working on a release: sign-off (where sign links lead), the list
        /// of releases from the repository, the notes editor, and the
        /// environments releases are deployed to (promote, roll back).
        release_pages: ReleasePages {
            Release => crate::releases::signoff::ReleasePage,
            Releases => crate::repository::releases::ReleasesPage,
            Notes => crate::notes::editor::NotesPage,
            Environment => crate::deployments::page::EnvironmentPageView,
        }
    }

    lazy_group! {
        /// Looking around: projects, search, one's account, and the
        /// administrators' pages (users, audit log).
        browse_pages: BrowsePages {
            Projects => crate::projects::list::ProjectsPage,
            Project => crate::projects::detail::ProjectPage,
            Search => crate::search::page::SearchPage,
            Account => crate::session::account::AccountPage,
            Audit => crate::audit::page::AuditPageView,
            Users => crate::users::list::UsersPage,
            NewUser => crate::users::new::NewUserPage,
            User => crate::users::detail::UserPage,
        }
    }

    lazy_group! {
        /// Setting a project up: the forms for the project, its repository,
        /// its sign-off policies and its environments' configuration.
        settings_pages: SettingsPages {
            NewProject => crate::projects::new::NewProjectPage,
            EditProject => crate::projects::edit::EditProjectPage,
            Repository => crate::repository::settings::RepositoryPage,
            Policies => crate::releases::policies::PoliciesPage,
            Config => crate::config_drift::page::ConfigPageView,
        }
    }

    lazy_group! {
        /// The release calendar (freezes, trains, time zones).
        calendar_page: CalendarPage {
            Calendar => crate::calendar::page::CalendarPage,
        }
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
