//! The command line: `slipway serve | migrate | admin ...`.

use crate::config::Settings;
use crate::{open_store, prepare, shutdown_signal, start};
use clap::{Args, Parser, Subcommand};
use slipway_services::accounts::{password, Authority, NewUserInput};
use slipway_services::{Clock, Services};
use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Slipway: release management from commit to production.
#[derive(Debug, Parser)]
#[command(name = "slipway", version, about, long_about = None)]
pub struct Cli {
    /// A TOML configuration file (also SLIPWAY_CONFIG). Environment variables
    /// SLIPWAY_* override it.
    #[arg(long, global = true, env = "SLIPWAY_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the portal (migrates the database first).
    Serve(ServeArgs),
    /// Apply database migrations, then exit.
    Migrate,
    /// Manage accounts from the command line (runs with operator authority).
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Versions from Conventional Commits (`version next`).
    #[command(subcommand)]
    Version(crate::git_cli::VersionCommand),
    /// Print release notes in markdown: the next release's, or with --all
    /// the whole CHANGELOG.md.
    Changelog(crate::git_cli::ChangelogArgs),
    /// Tag the next release: an annotated tag whose message is the release
    /// notes, optionally pushed.
    Tag(crate::git_cli::TagArgs),
    /// Print the paths of the portal's pages, one per line, as the router
    /// knows them (`/projects/{slug}`); the browser suite walks them all.
    Routes,
    /// Releases on a running server, through its API (for CI): create, show,
    /// list, submit. Needs --server and a token (SLIPWAY_SERVER, SLIPWAY_TOKEN).
    #[command(subcommand)]
    Release(crate::remote::ReleaseCommand),
    /// Evidence on a running server, through its API: `evidence record`.
    #[command(subcommand)]
    Evidence(crate::remote::EvidenceCommand),
    /// Ask a running server to promote a release; prints the gate's reasons
    /// when it refuses (exit code 2).
    Promote(crate::remote::PromoteArgs),
    /// Ask a running server to roll an environment back to its last
    /// verified version (a new deployment through the same adapter).
    Rollback(crate::remote::RollbackArgs),
    /// What runs in each environment of a project, from a running server.
    Status(crate::remote::StatusArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Listen address; overrides SLIPWAY_ADDR (default 127.0.0.1:3000).
    #[arg(long, value_name = "HOST:PORT")]
    pub addr: Option<SocketAddr>,
    /// Create the demo project when the installation has no projects yet.
    #[arg(long)]
    pub seed_demo: bool,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a local account.
    CreateUser {
        #[arg(long)]
        username: String,
        /// Shown in the portal; defaults to the username.
        #[arg(long, default_value = "")]
        display_name: String,
        /// Grant this role for all projects (admin, release_manager, tech_lead,
        /// product_owner, sre, engineer, support, stakeholder).
        #[arg(long)]
        role: Option<String>,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Grant a role to a user, for one project or for all.
    Grant {
        #[arg(long)]
        username: String,
        #[arg(long)]
        role: String,
        /// Project slug; omit for all projects.
        #[arg(long)]
        project: Option<String>,
    },
    /// Create an API token and print it once (for bootstrapping CI before
    /// anyone signs in): a personal token of the user, or with --service a
    /// service token of --project.
    CreateToken {
        /// The token acts as this user (for --service: the user who creates it).
        #[arg(long)]
        username: String,
        /// What the token is for, e.g. "GitHub Actions".
        #[arg(long)]
        name: String,
        /// Limit the token to this project (required with --service).
        #[arg(long, value_name = "SLUG")]
        project: Option<String>,
        /// Comma-separated: read, releases:write, evidence:write, promote, audit:read.
        #[arg(long, default_value = "read")]
        scope: String,
        /// How long it lives: 30d, 12h, 2w (default 90 days).
        #[arg(long, value_name = "DURATION", default_value = "")]
        expires_in: String,
        /// A service token owned by --project instead of a personal one.
        #[arg(long, requires = "project")]
        service: bool,
    },
    /// Set a new password (ends the user's sessions; they must change it).
    ResetPassword {
        #[arg(long)]
        username: String,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
}

/// Runs a parsed command.
pub async fn run(cli: Cli, settings: Settings) -> Result<(), String> {
    match cli.command {
        Command::Serve(args) => {
            let mut settings = settings;
            if let Some(addr) = args.addr {
                settings.addr = addr;
            }
            let services = prepare(&settings, args.seed_demo)
                .await
                .map_err(|e| e.to_string())?;
            let running = start(&settings, services)
                .await
                .map_err(|e| e.to_string())?;
            tracing::info!(
                "Slipway is listening on http://{} ({})",
                running.addr,
                running.services.store.backend().name()
            );
            shutdown_signal().await;
            tracing::info!("shutting down");
            running.stop().await.map_err(|e| e.to_string())
        }
        Command::Migrate => {
            let store = open_store(&settings).await.map_err(|e| e.to_string())?;
            println!("migrations applied ({})", store.backend().name());
            store.close().await;
            Ok(())
        }
        Command::Admin(cmd) => admin(cmd, &settings).await,
        Command::Routes => {
            for path in crate::web::page_paths() {
                println!("{path}");
            }
            Ok(())
        }
        Command::Version(_)
        | Command::Changelog(_)
        | Command::Tag(_)
        | Command::Release(_)
        | Command::Evidence(_)
        | Command::Promote(_)
        | Command::Rollback(_)
        | Command::Status(_) => {
            Err("repository and remote commands run without the server: see main.rs".into())
        }
    }
}

fn read_password(from_stdin: bool) -> Result<(String, bool), String> {
    if from_stdin {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
        Ok((s.trim_end_matches(['\r', '\n']).to_owned(), false))
    } else {
        Ok((password::generate(), true))
    }
}

async fn admin(cmd: AdminCommand, settings: &Settings) -> Result<(), String> {
    let store = open_store(settings).await.map_err(|e| e.to_string())?;
    let services = Services::new(store, Clock::system(), crate::git_settings(settings));
    let accounts = services.accounts();
    let result = match cmd {
        AdminCommand::CreateUser {
            username,
            display_name,
            role,
            password_stdin,
        } => {
            let (password, generated) = read_password(password_stdin)?;
            let input = NewUserInput {
                username: username.clone(),
                display_name,
                password: password.clone(),
                role,
            };
            accounts
                .create_user(Authority::Operator, &input)
                .await
                .map(|_| {
                    println!("created user {}", username.trim().to_ascii_lowercase());
                    if generated {
                        println!("one-time password: {password}");
                    }
                })
        }
        AdminCommand::Grant {
            username,
            role,
            project,
        } => accounts
            .grant(Authority::Operator, &username, &role, project.as_deref())
            .await
            .map(|()| println!("granted {role} to {username}")),
        AdminCommand::CreateToken {
            username,
            name,
            project,
            scope,
            expires_in,
            service,
        } => {
            let input = slipway_services::api_tokens::NewTokenInput {
                name,
                scopes: scope,
                projects: project.clone().into_iter().collect(),
                expires_in,
            };
            let tokens = services.api_tokens();
            let issued = match (service, project.as_deref()) {
                (true, Some(slug)) => match accounts.principal_of(&username).await {
                    Ok(Some(creator)) => tokens.create_service(&creator, slug, &input).await,
                    Ok(None) => Err(slipway_services::ServiceError::field(
                        "username",
                        "there is no such user",
                    )),
                    Err(e) => Err(e),
                },
                _ => tokens.create_for_user(&username, &input).await,
            };
            issued.map(|t| {
                eprintln!(
                    "created {} token \"{}\" ({}), expires {}; it is shown only now:",
                    t.token.kind.as_str(),
                    t.token.name,
                    slipway_domain::token::TokenScope::join(&t.token.scopes),
                    t.token.expires_at
                );
                println!("{}", t.secret);
            })
        }
        AdminCommand::ResetPassword {
            username,
            password_stdin,
        } => {
            let (password, generated) = read_password(password_stdin)?;
            accounts
                .reset_password(&username, &password)
                .await
                .map(|()| {
                    println!("password reset for {username}");
                    if generated {
                        println!("one-time password: {password}");
                    }
                })
        }
    };
    services.store.close().await;
    result.map_err(describe)
}

/// One line for the terminal, including field messages.
fn describe(e: slipway_services::ServiceError) -> String {
    match e {
        slipway_services::ServiceError::Validation(fields) => fields
            .0
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}
