//! `slipway version`, `slipway changelog` and `slipway tag`: the versioning
//! engine on a local repository, for CI pipelines. They need no database
//! and no configuration. Exit codes: 0 done, 2 bad input (bad path,
//! unknown ref, empty repository, invalid policy, refused tag), 1 anything
//! else (the remote is unreachable, ...). Errors are one line on stderr.

use clap::{Args, Subcommand, ValueEnum};
use slipway_domain::notes::Links;
use slipway_domain::tagging::ReleasePolicy;
use slipway_services::git::publish::{self, Push, TagRequest};
use slipway_services::git::{GitError, Repo};
use slipway_services::versioning::{self, PlanError, PlanRequest};
use slipway_services::Clock;
use std::path::{Path, PathBuf};

#[derive(Debug, Args, Clone)]
pub struct RepoArgs {
    /// The git repository (a working copy or a bare repository).
    #[arg(long, value_name = "PATH", default_value = ".")]
    pub repo: PathBuf,
    /// A release policy in TOML (tag_prefix, minor_types, components, ...;
    /// see the README). Defaults: tags v1.2.3, feat -> minor, fix/perf -> patch.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// A monorepo component named in the policy.
    #[arg(long, value_name = "NAME")]
    pub component: Option<String>,
    /// The repository's web address, for links in the notes
    /// (e.g. https://github.com/acme/shop).
    #[arg(long, value_name = "URL")]
    pub web_url: Option<String>,
    /// Issue tracker link template with {key}, for JIRA-style keys.
    #[arg(long, value_name = "URL")]
    pub issue_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum VersionCommand {
    /// Print the next version: from Conventional Commits since the newest
    /// release tag reachable from --ref.
    Next {
        #[command(flatten)]
        repo: RepoArgs,
        /// Branch, tag or commit to release from.
        #[arg(long = "ref", value_name = "REF", default_value = "HEAD")]
        rev: String,
        /// Make a pre-release on this channel (rc, beta, ...).
        #[arg(long, value_name = "CHANNEL")]
        channel: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// Just the version (nothing when no release is due; the reason goes to stderr).
    Text,
    /// The version, tag, bump, explanation and the commits that drove it.
    Json,
}

#[derive(Debug, Args)]
pub struct ChangelogArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// Start after this tag (default: the newest release reachable from --to).
    #[arg(long, value_name = "TAG", conflicts_with = "all")]
    pub from: Option<String>,
    /// End at this ref.
    #[arg(long, value_name = "REF", default_value = "HEAD")]
    pub to: String,
    /// The whole CHANGELOG.md: a section per release tag, newest first, plus Unreleased.
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct TagArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// The commit to release (branch, tag or commit).
    #[arg(long = "ref", value_name = "REF", default_value = "HEAD")]
    pub rev: String,
    #[arg(long, value_name = "CHANNEL")]
    pub channel: Option<String>,
    /// Refuse unless the commit is on this branch (default: the policy's main branch).
    #[arg(long, value_name = "BRANCH")]
    pub branch: Option<String>,
    /// Release from any branch (hotfix and release branches).
    #[arg(long, conflicts_with = "branch")]
    pub any_branch: bool,
    /// Push the tag to this remote (name or URL).
    #[arg(long, value_name = "REMOTE")]
    pub push: Option<String>,
    /// Print what would be tagged and the notes, change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// A command-line failure: the message and the exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl From<PlanError> for Failure {
    fn from(e: PlanError) -> Self {
        let code = match &e {
            PlanError::Invalid(_) => 2,
            PlanError::Git(g) => git_code(g),
        };
        Failure {
            code,
            message: e.to_string(),
        }
    }
}

impl From<GitError> for Failure {
    fn from(e: GitError) -> Self {
        Failure {
            code: git_code(&e),
            message: e.to_string(),
        }
    }
}

fn git_code(e: &GitError) -> u8 {
    match e {
        GitError::NotARepository(_)
        | GitError::Empty
        | GitError::UnknownRef(_)
        | GitError::Refused(_) => 2,
        GitError::PushRejected(_) | GitError::Remote(_) | GitError::Read(_) => 1,
    }
}

fn bad(message: impl Into<String>) -> Failure {
    Failure {
        code: 2,
        message: message.into(),
    }
}

fn load_policy(path: Option<&Path>) -> Result<ReleasePolicy, Failure> {
    let Some(path) = path else {
        return Ok(ReleasePolicy::default());
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| bad(format!("cannot read the policy {}: {e}", path.display())))?;
    let table: toml::Table = toml::from_str(&text).map_err(|e| {
        bad(format!(
            "the policy {} is not valid TOML: {}",
            path.display(),
            e.message()
        ))
    })?;
    if let Some(unknown) = table
        .keys()
        .find(|k| !ReleasePolicy::KEYS.contains(&k.as_str()))
    {
        return Err(bad(format!(
            "the policy {} has an unknown key \"{unknown}\"; known keys: {}",
            path.display(),
            ReleasePolicy::KEYS.join(", ")
        )));
    }
    let policy: ReleasePolicy = toml::from_str(&text).map_err(|e| {
        bad(format!(
            "the policy {} is not valid: {}",
            path.display(),
            e.message()
        ))
    })?;
    policy.validate().map_err(|errors| {
        bad(format!(
            "the policy {} is not valid: {}",
            path.display(),
            errors.summary()
        ))
    })?;
    Ok(policy)
}

fn open(args: &RepoArgs) -> Result<(Repo, ReleasePolicy, Links), Failure> {
    let policy = load_policy(args.policy.as_deref())?;
    let repo = Repo::open(&args.repo)?;
    if repo.is_empty()? {
        return Err(GitError::Empty.into());
    }
    let links = Links {
        web_url: args.web_url.clone(),
        issue_url: args.issue_url.clone(),
    };
    Ok((repo, policy, links))
}

fn today() -> time::Date {
    Clock::system().today()
}

fn date_string() -> String {
    Clock::system().date_string()
}

pub fn version(cmd: VersionCommand) -> Result<(), Failure> {
    let VersionCommand::Next {
        repo,
        rev,
        channel,
        format,
    } = cmd;
    let (git, policy, _) = open(&repo)?;
    let plan = versioning::plan(
        &git,
        &policy,
        &PlanRequest {
            rev: &rev,
            component: repo.component.as_deref(),
            channel: channel.as_deref(),
            since: None,
            today: today(),
        },
    )?;
    match format {
        Format::Text => match &plan.next {
            Some(v) => println!("{v}"),
            None => eprintln!("{}", plan.explanation),
        },
        Format::Json => {
            let subject = |id: &str| {
                plan.commits
                    .iter()
                    .find(|c| c.id == id)
                    .map(|c| c.message.subject.clone())
                    .unwrap_or_default()
            };
            // A commit that breaks by footer carries the footer's first line.
            let footer = |id: &str| {
                plan.analysis
                    .breaking_footers
                    .iter()
                    .find(|(i, _)| i == id)
                    .map(|(_, line)| line.clone())
            };
            let commits = |ids: &[String]| -> Vec<serde_json::Value> {
                ids.iter()
                    .map(|id| match footer(id) {
                        Some(f) => serde_json::json!({ "id": id, "subject": subject(id), "breaking_footer": f }),
                        None => serde_json::json!({ "id": id, "subject": subject(id) }),
                    })
                    .collect()
            };
            let out = serde_json::json!({
                "next": plan.next,
                "tag": plan.next_tag,
                "bump": plan.bump,
                "explanation": plan.explanation,
                "ref": plan.rev,
                "commit": plan.tip,
                "component": plan.component,
                "last_release": plan.last_release,
                "last_prerelease": plan.last_prerelease,
                "drivers": commits(&plan.analysis.drivers),
                "breaking": commits(&plan.analysis.breaking),
                "non_conforming": commits(&plan.analysis.non_conforming),
                "cancelled": commits(&plan.analysis.cancelled),
                "commit_count": plan.commits.len(),
            });
            let text = serde_json::to_string_pretty(&out).map_err(|e| Failure {
                code: 1,
                message: e.to_string(),
            })?;
            println!("{text}");
        }
    }
    Ok(())
}

pub fn changelog(args: ChangelogArgs) -> Result<(), Failure> {
    let (git, policy, links) = open(&args.repo)?;
    let component = args.repo.component.as_deref();
    let text = if args.all {
        versioning::changelog_all(&git, &policy, component, &args.to, &links)?
    } else {
        let plan = versioning::plan(
            &git,
            &policy,
            &PlanRequest {
                rev: &args.to,
                component,
                channel: None,
                since: args.from.as_deref(),
                today: today(),
            },
        )?;
        // Up to a release tag: that release's notes, titled with its
        // version and date; otherwise the next release's, dated today.
        match versioning::release_at(&git, &policy, component, &args.to)? {
            Some((version, date)) => plan.notes_titled(&links, version, date),
            None => plan.notes(&links, Some(date_string())),
        }
    };
    print!("{text}");
    Ok(())
}

pub fn tag(args: TagArgs) -> Result<(), Failure> {
    let (git, policy, links) = open(&args.repo)?;
    let plan = versioning::plan(
        &git,
        &policy,
        &PlanRequest {
            rev: &args.rev,
            component: args.repo.component.as_deref(),
            channel: args.channel.as_deref(),
            since: None,
            today: today(),
        },
    )?;
    let (Some(tag_name), Some(_)) = (&plan.next_tag, &plan.next) else {
        return Err(bad(format!("nothing to tag: {}", plan.explanation)));
    };
    let notes = plan.notes(&links, Some(date_string()));
    let branch = if args.any_branch {
        None
    } else {
        Some(
            args.branch
                .clone()
                .unwrap_or_else(|| policy.main_branch.clone()),
        )
    };
    if args.dry_run {
        println!("would tag {} as {tag_name}\n", plan.tip);
        print!("{notes}");
        return Ok(());
    }
    let signature = publish::default_tagger(&args.repo.repo);
    let created = publish::tag(
        &args.repo.repo,
        &TagRequest {
            name: tag_name,
            target: &plan.tip,
            message: &notes,
            tagger_name: &signature.0,
            tagger_email: &signature.1,
            expected_branch: branch.as_deref(),
        },
        args.push
            .as_deref()
            .map(|remote| Push {
                remote,
                credential: None,
            })
            .as_ref(),
    )?;
    println!("{}", created.name);
    Ok(())
}
