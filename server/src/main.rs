use clap::Parser;
use slipway_server::cli::{run, Cli, Command};
use slipway_server::config::Settings;
use slipway_server::git_cli;
use slipway_server::remote::Remote;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Repository commands need no configuration, database or runtime.
    let repo_command = match cli.command {
        Command::Version(cmd) => git_cli::version(cmd),
        Command::Changelog(args) => git_cli::changelog(args),
        Command::Tag(args) => git_cli::tag(args),
        Command::Release(cmd) => return remote(Remote::Release(cmd)),
        Command::Evidence(cmd) => return remote(Remote::Evidence(cmd)),
        Command::Promote(args) => return remote(Remote::Promote(args)),
        Command::Rollback(args) => return remote(Remote::Rollback(args)),
        Command::Status(args) => return remote(Remote::Status(args)),
        command => {
            return serve_or_admin(Cli {
                config: cli.config,
                command,
            })
        }
    };
    match repo_command {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("slipway: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

fn serve_or_admin(cli: Cli) -> ExitCode {
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("slipway: {e}");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(&settings.log))
        .with_writer(std::io::stderr)
        .init();
    // libgit2's global options: before any thread that could use it exists.
    slipway_services::git::set_network_timeout(settings.git_network_timeout);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("slipway: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli, settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("slipway: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Commands against a running server's API: no configuration or database.
fn remote(command: Remote) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("slipway: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(slipway_server::remote::run(command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("slipway: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}
