//! The demo that shows the whole product in the first minute, created only
//! with `--seed-demo` on an empty installation (never otherwise):
//!
//! - project "Slipway demo" (dev -> staging -> prod) connected to a
//!   generated git repository with a Conventional Commits history and two
//!   release tags, so the Releases page proposes the next version with its
//!   notes;
//! - demo users for every role (their passwords go to the start log);
//! - releases 1.0.0 and 1.1.0 that went through the whole pipeline, a
//!   release 1.2.0 running in dev and waiting for staging sign-off with one
//!   of its two approvals given, and a deliberately broken build waiting to
//!   be promoted to dev (its checks fail, and dev rolls back by itself);
//! - a freeze window and a weekly release train on the calendar;
//! - every environment deploys through the command adapter, which "deploys"
//!   by writing the version into `$DATA_DIR/demo/deployed/<env>`; the
//!   server's `/demo/apps/<env>/health` serves it, and each environment's
//!   HTTP check reads it; production rolls out in two steps (50%, 100%)
//!   and pauses between them until someone presses Resume;
//! - configuration in every environment with drift to find (production's
//!   payment timeout differs although it must match, and it lacks the
//!   coupon switch), which production requires fixed before a promotion.

mod repository;

use crate::accounts::{Authority, NewUserInput};
use crate::releases::{NewFromRefInput, NewReleaseInput};
use crate::repositories::RepositoryInput;
use crate::storage::projects;
use crate::{ServiceError, Services};
use slipway_domain::approval::{ApprovalPolicy, Decision, RoleGroup};
use slipway_domain::artifact::ArtifactRef;
use slipway_domain::calendar::input::{FreezeInput, TrainInput};
use slipway_domain::config_drift::{ConfigForm, ConfigRowForm, DriftRulesForm};
use slipway_domain::deployment::adapter::DeploySettingsForm;
use slipway_domain::deployment::check::CheckForm;
use slipway_domain::release::ReleaseVersion;
use slipway_domain::tagging::ReleasePolicy;
use slipway_domain::{EnvironmentDraft, Grant, Principal, ProjectDraft, ProjectId, Role, UserId};
use std::path::{Path, PathBuf};

/// A demo account, to print once at start.
#[derive(Debug, Clone)]
pub struct DemoUser {
    pub username: String,
    pub role: Role,
    pub password: String,
}

const SLUG: &str = "demo";

/// Where the demo keeps its repository and what its environments run.
pub fn demo_dir(data_dir: &Path) -> PathBuf {
    data_dir.join(crate::git::mirror::DEMO_DIR)
}

/// Where the command adapter of the demo writes what `env` runs.
pub fn deployed_dir(data_dir: &Path) -> PathBuf {
    demo_dir(data_dir).join("deployed")
}

/// Creates the demo when there are no projects yet; `base_url` is where
/// this Slipway answers (the demo's checks call it). `password`, when
/// given, is every demo user's (for workshops and tests); otherwise each
/// gets a generated one. Returns the demo users, or `None` when the
/// installation was not empty.
pub async fn seed(
    services: &Services,
    base_url: &str,
    password: Option<&str>,
) -> Result<Option<Vec<DemoUser>>, ServiceError> {
    let mut conn = services.store.pool().acquire().await?;
    if projects::count(&mut conn).await? > 0 {
        return Ok(None);
    }
    // Seeding acts as the administrator (the first account, made before).
    let admin = crate::storage::users::find_by_username(&mut conn, "admin").await?;
    drop(conn);
    let system = Principal {
        id: UserId(admin.as_ref().map_or(0, |a| a.id)),
        username: "admin".into(),
        display_name: admin.map_or_else(|| "Administrator".into(), |a| a.display_name),
        grants: vec![Grant {
            project: None,
            role: Role::Admin,
        }],
        must_change_password: false,
        token: None,
    };
    let draft = ProjectDraft {
        name: "Slipway demo".into(),
        slug: SLUG.into(),
        description: "A sample shop service with the usual dev -> staging -> prod pipeline: sign off 1.2.0 as the product owner, promote it, watch it deploy, and try the broken build. Edit or archive it when you add your own.".into(),
        repository_url: String::new(),
        repository_web_url: String::new(),
    };
    services
        .projects()
        .create(&system, &draft, &EnvironmentDraft::standard_pipeline())
        .await?;
    let mut conn = services.store.pool().acquire().await?;
    let pid = projects::find_by_slug(&mut conn, SLUG)
        .await?
        .map(|p| ProjectId(p.id))
        .ok_or(ServiceError::NotFound("project"))?;
    drop(conn);

    let team = Team::create(services, pid, password).await?;
    let data_dir = services.git.data_dir.clone();
    let repo = demo_dir(&data_dir).join("shop");
    std::fs::create_dir_all(&repo).map_err(internal)?;
    let tags = repository::create(&repo).map_err(internal)?;
    services
        .repositories()
        .configure(
            &system,
            SLUG,
            &RepositoryInput {
                url: repo.display().to_string(),
                web_url: String::new(),
                credential: String::new(),
                issue_url: String::new(),
                policy: ReleasePolicy::default(),
                fetch_interval_s: 300,
            },
        )
        .await?;

    let releases = services.releases();
    let policies = [
        (
            "dev",
            ApprovalPolicy {
                required: 0,
                groups: vec![],
            },
        ),
        (
            "staging",
            ApprovalPolicy {
                required: 2,
                groups: vec![group(Role::TechLead), group(Role::ProductOwner)],
            },
        ),
        (
            "prod",
            ApprovalPolicy {
                required: 2,
                groups: vec![group(Role::ProductOwner), group(Role::Sre)],
            },
        ),
    ];
    for (env, policy) in &policies {
        releases.set_policy(&system, SLUG, env, policy).await?;
    }

    // History: 1.0.0 and 1.1.0 through the whole pipeline (recorded, as
    // before the adapters were set up).
    for (tag, commit) in &tags {
        let version = tag.trim_start_matches('v');
        let id = releases
            .create(
                &team.eddie,
                SLUG,
                &NewReleaseInput {
                    version: ReleaseVersion::parse(version).map_err(conflict)?,
                    title: format!("Shop {version}"),
                    notes_id: None,
                    artifact: Some(ArtifactRef::parse(&commit.to_string()).map_err(conflict)?),
                    planned: String::new(),
                },
            )
            .await?;
        releases.submit(&team.eddie, SLUG, id).await?;
        tick_all(services, &system, id).await?;
        releases.promote(&team.eddie, SLUG, id, None).await?;
        team.approve(services, id, &[&team.tom, &team.paula])
            .await?;
        releases.promote(&team.eddie, SLUG, id, None).await?;
        team.approve(services, id, &[&team.paula, &team.sam])
            .await?;
        releases.promote(&team.sam, SLUG, id, None).await?;
    }
    let current = tags
        .last()
        .map(|(t, _)| t.trim_start_matches('v'))
        .unwrap_or("1.1.0");

    // 1.2.0, proposed from the commits since v1.1.0 with its notes drafted:
    // in dev, waiting for staging sign-off, the tech lead has approved.
    let next = releases
        .create_from_ref(
            &team.eddie,
            SLUG,
            &NewFromRefInput {
                git_ref: Some("main".into()),
                version: None,
                artifact: None,
                title: "Coupons at checkout".into(),
                notes: None,
                planned: String::new(),
            },
        )
        .await?;
    releases.submit(&team.eddie, SLUG, next).await?;
    tick_all(services, &system, next).await?;
    releases.promote(&team.eddie, SLUG, next, None).await?;
    team.approve(services, next, &[&team.tom]).await?;

    // What runs where, for the demo's health endpoint.
    let deployed = deployed_dir(&data_dir);
    std::fs::create_dir_all(&deployed).map_err(internal)?;
    let next_version = releases.get(&system, SLUG, next).await?.version;
    for (env, version) in [
        ("dev", next_version.as_str()),
        ("staging", current),
        ("prod", current),
    ] {
        std::fs::write(deployed.join(env), version).map_err(internal)?;
    }

    // From now on every environment deploys through the command adapter.
    let deployments = services.deployments();
    for env in ["dev", "staging", "prod"] {
        deployments
            .update_settings(&system, SLUG, env, &settings_for(&deployed, base_url, env))
            .await?;
    }

    // A broken build to try: its checks fail, and dev rolls back by itself.
    let broken = releases
        .create(
            &team.eddie,
            SLUG,
            &NewReleaseInput {
                version: ReleaseVersion::parse("1.2.1-broken.1").map_err(conflict)?,
                title: "A deliberately broken build: promote it to dev and watch the automatic rollback".into(),
                notes_id: None,
                artifact: Some(
                    ArtifactRef::parse(&format!(
                        "registry.example.com/demo/shop@sha256:{}",
                        "b0".repeat(32)
                    ))
                    .map_err(conflict)?,
                ),
                planned: String::new(),
            },
        )
        .await?;
    releases.submit(&team.eddie, SLUG, broken).await?;

    calendar(services, &system).await?;
    configuration(services, &system).await?;
    Ok(Some(team.users))
}

/// The command adapter and health check of one demo environment.
fn settings_for(deployed: &Path, base_url: &str, env: &str) -> DeploySettingsForm {
    let script = format!(
        "echo \"Deploying $SLIPWAY_VERSION ($SLIPWAY_DIGEST) to $SLIPWAY_ENVIRONMENT\"; \
         echo \"Previously: ${{SLIPWAY_PREVIOUS_DIGEST:-nothing}}; rollback: $SLIPWAY_ROLLBACK\"; \
         sleep 2; echo 'Starting the new version'; sleep 2; \
         printf '%s' \"$SLIPWAY_VERSION\" > '{}/'\"$SLIPWAY_ENVIRONMENT\"; \
         echo \"Switched traffic to the new version ($SLIPWAY_WEIGHT%)\"",
        deployed.display()
    );
    DeploySettingsForm {
        adapter: "command".into(),
        program: "/bin/sh".into(),
        args: format!("-c\n{script}"),
        workdir: String::new(),
        timeout_s: "60".into(),
        checks: vec![CheckForm {
            kind: "http".into(),
            name: "health".into(),
            url: format!("{}/demo/apps/{env}/health", base_url.trim_end_matches('/')),
            expect_status: "200".into(),
            json_pointer: "/status".into(),
            json_value: "ok".into(),
            latency_budget_ms: "2000".into(),
            retries: "2".into(),
            deadline_s: "10".into(),
            ..Default::default()
        }],
        auto_rollback: true,
        // Production rolls out in two steps and waits for Resume between.
        rollout: if env == "prod" {
            "50, 100".into()
        } else {
            String::new()
        },
        pause_between_steps: env == "prod",
        ..Default::default()
    }
}

/// Each environment's configuration, with drift to find: production's
/// payment timeout differs although it must match, and it lacks the coupon
/// switch staging has. Production requires matching configuration, so
/// 1.2.0 waits there until a release manager fixes it.
async fn configuration(services: &Services, by: &Principal) -> Result<(), ServiceError> {
    let drift = services.config_drift();
    let row = |key: &str, value: &str, secret: bool| ConfigRowForm {
        key: key.into(),
        value: value.into(),
        secret,
    };
    for (env, timeout, log, coupons) in [
        ("dev", "3000", "debug", true),
        ("staging", "3000", "info", true),
        ("prod", "5000", "warn", false),
    ] {
        let mut rows = vec![
            row(
                "DATABASE_URL",
                &format!("vault://demo/{env}/database#url"),
                true,
            ),
            row("LOG_LEVEL", log, false),
            row("PAYMENT_TIMEOUT_MS", timeout, false),
        ];
        if coupons {
            rows.push(row("FEATURE_COUPONS", "on", false));
        }
        drift
            .update_environment(by, SLUG, env, &ConfigForm { rows })
            .await?;
    }
    drift
        .update_rules(
            by,
            SLUG,
            &DriftRulesForm {
                must_match: "PAYMENT_TIMEOUT_MS".into(),
            },
            &["prod".to_owned()],
        )
        .await?;
    Ok(())
}

fn group(role: Role) -> RoleGroup {
    RoleGroup {
        at_least: 1,
        any_of: vec![role],
    }
}

struct Team {
    users: Vec<DemoUser>,
    paula: Principal,
    tom: Principal,
    sam: Principal,
    eddie: Principal,
}

impl Team {
    async fn create(
        services: &Services,
        pid: ProjectId,
        password: Option<&str>,
    ) -> Result<Team, ServiceError> {
        let people = [
            ("paula", "Paula (product owner)", Role::ProductOwner),
            ("tom", "Tom (tech lead)", Role::TechLead),
            ("sam", "Sam (SRE)", Role::Sre),
            ("rita", "Rita (release manager)", Role::ReleaseManager),
            ("eddie", "Eddie (engineer)", Role::Engineer),
            ("sue", "Sue (support)", Role::Support),
            ("stan", "Stan (stakeholder)", Role::Stakeholder),
        ];
        let accounts = services.accounts();
        let mut users = Vec::new();
        let mut principals = Vec::new();
        for (username, display, role) in people {
            let password = match password {
                Some(p) => p.to_owned(),
                None => crate::tokens::generate().0[..16].to_owned(),
            };
            let id = accounts
                .create_user(
                    Authority::Operator,
                    &NewUserInput {
                        username: username.into(),
                        display_name: display.into(),
                        password: password.clone(),
                        role: None,
                    },
                )
                .await?;
            accounts
                .grant(Authority::Operator, username, role.as_str(), Some(SLUG))
                .await?;
            principals.push(Principal {
                id,
                username: username.into(),
                display_name: display.into(),
                grants: vec![Grant {
                    project: Some(pid),
                    role,
                }],
                must_change_password: false,
                token: None,
            });
            users.push(DemoUser {
                username: username.into(),
                role,
                password,
            });
        }
        let find = |name: &str| {
            principals
                .iter()
                .find(|p| p.username == name)
                .cloned()
                .ok_or(ServiceError::NotFound("user"))
        };
        Ok(Team {
            paula: find("paula")?,
            tom: find("tom")?,
            sam: find("sam")?,
            eddie: find("eddie")?,
            users,
        })
    }

    /// `who` approve release `id` for its next environment.
    async fn approve(
        &self,
        services: &Services,
        id: i64,
        who: &[&Principal],
    ) -> Result<(), ServiceError> {
        for p in who {
            let v = services.releases().get(p, SLUG, id).await?;
            services
                .releases()
                .decide(
                    p,
                    SLUG,
                    id,
                    &crate::releases::DecisionInput {
                        decision: Decision::Approve,
                        comment: "Looks good to me.".into(),
                        seen_artifact: v.artifact,
                        seen_revision: v.notes_revision,
                    },
                )
                .await?;
        }
        Ok(())
    }
}

async fn tick_all(services: &Services, by: &Principal, id: i64) -> Result<(), ServiceError> {
    let v = services.releases().get(by, SLUG, id).await?;
    for item in v.checklist.into_iter().filter(|i| i.ticked.is_none()) {
        services.releases().tick(by, SLUG, id, &item.key).await?;
    }
    Ok(())
}

/// A freeze window in a fortnight and a weekly release train.
async fn calendar(services: &Services, by: &Principal) -> Result<(), ServiceError> {
    let today = services.clock.today();
    let day = |n: i64| (today + time::Duration::days(n)).to_string();
    services
        .calendar()
        .create_freeze(
            by,
            SLUG,
            &FreezeInput {
                name: "Demo: peak-sales freeze".into(),
                reason: "The big sale: no production changes while traffic peaks.".into(),
                kind: "once".into(),
                start: format!("{}T17:00", day(14)),
                end: format!("{}T09:00", day(17)),
                time_zone: "UTC".into(),
                ..Default::default()
            },
        )
        .await?;
    let days_to_tuesday = (7 + 1 - i64::from(today.weekday().number_days_from_monday())) % 7;
    services
        .calendar()
        .create_train(
            by,
            SLUG,
            &TrainInput {
                name: "Weekly shop train".into(),
                first_release: day(if days_to_tuesday == 0 {
                    7
                } else {
                    days_to_tuesday
                }),
                every_weeks: "1".into(),
                release_time: "10:00".into(),
                cutoff_days_before: "1".into(),
                cutoff_time: "17:00".into(),
                time_zone: "UTC".into(),
            },
        )
        .await?;
    Ok(())
}

fn internal(e: impl std::error::Error + Send + Sync + 'static) -> ServiceError {
    ServiceError::Internal(Box::new(e))
}

fn conflict(message: String) -> ServiceError {
    ServiceError::Conflict(message)
}
