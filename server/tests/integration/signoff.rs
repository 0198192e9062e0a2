//! Releases and sign-off through the services, on SQLite and PostgreSQL:
//! the lifecycle, role-quorum approvals, self-approval, approvals bound to
//! the artifact, the promotion gate with checklists, freezes and break-glass,
//! and the concurrency guarantees.

use crate::helpers::{change_to, decision, release_input};
use crate::helpers::{TestApp, USER_PASSWORD};
use crate::on_both_databases;
use slipway_domain::approval::{ApprovalPolicy, Decision, RoleGroup};
use slipway_domain::{Principal, Role};
use slipway_services::releases::{BreakGlassInput, NewReleaseInput};
use slipway_services::ServiceError;

const SHA: &str = "0123456789abcdef0123456789abcdef01234567";
const OTHER_SHA: &str = "fedcba9876543210fedcba9876543210fedcba98";

/// Project `shop` (dev, staging, prod) and a team.
async fn team(app: &TestApp) -> (Principal, Principal, Principal, Principal, Principal) {
    let admin = app.admin().await;
    app.create_project(&admin, "Shop", "shop").await;
    for (name, role) in [
        ("erin", "engineer"),
        ("tess", "tech_lead"),
        ("paula", "product_owner"),
        ("sam", "sre"),
        ("rick", "release_manager"),
    ] {
        app.user_with_role(name, role, Some("shop")).await;
    }
    (
        app.principal("erin").await,
        app.principal("tess").await,
        app.principal("paula").await,
        app.principal("sam").await,
        app.principal("rick").await,
    )
}

/// `env` of project `shop` needs `required` approvals from anyone.
async fn require_approvals(app: &TestApp, by: &Principal, env: &str, required: u32) {
    app.services
        .releases()
        .set_policy(
            by,
            "shop",
            env,
            &ApprovalPolicy {
                required,
                groups: vec![],
            },
        )
        .await
        .unwrap();
}

/// A release by `author`, submitted for sign-off, after `manager` made
/// dev need `required` approvals.
async fn submitted(
    app: &TestApp,
    manager: &Principal,
    author: &Principal,
    version: &str,
    required: u32,
) -> i64 {
    require_approvals(app, manager, "dev", required).await;
    let id = new_release(app, author, version).await;
    app.services
        .releases()
        .submit(author, "shop", id)
        .await
        .unwrap();
    id
}

async fn new_release(app: &TestApp, by: &Principal, version: &str) -> i64 {
    app.services
        .releases()
        .create(
            by,
            "shop",
            &NewReleaseInput {
                title: "Coupons".into(),
                planned: "2026-12-01".into(),
                ..release_input(version, SHA)
            },
        )
        .await
        .unwrap()
}

async fn tick_all(app: &TestApp, by: &Principal, id: i64) {
    let view = app.services.releases().get(by, "shop", id).await.unwrap();
    for item in view.checklist.into_iter().filter(|i| i.ticked.is_none()) {
        app.services
            .releases()
            .tick(by, "shop", id, &item.key)
            .await
            .unwrap();
    }
}

fn conflict(r: Result<impl std::fmt::Debug, ServiceError>) -> String {
    match r {
        Err(ServiceError::Conflict(m)) => m,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

async fn a_release_is_signed_off_and_promoted_through_the_pipeline(app: &TestApp) {
    let (erin, tess, paula, sam, rick) = team(app).await;
    let releases = app.services.releases();
    // Production: 2 approvals, a tech lead AND a product owner or SRE.
    let policy = ApprovalPolicy {
        required: 2,
        groups: vec![
            RoleGroup {
                at_least: 1,
                any_of: vec![Role::TechLead],
            },
            RoleGroup {
                at_least: 1,
                any_of: vec![Role::ProductOwner, Role::Sre],
            },
        ],
    };
    assert_eq!(
        releases
            .set_policy(&rick, "shop", "prod", &policy)
            .await
            .unwrap(),
        Vec::<String>::new()
    );
    let none = ApprovalPolicy {
        required: 0,
        groups: vec![],
    };
    releases
        .set_policy(&rick, "shop", "dev", &none)
        .await
        .unwrap();
    let warnings = releases
        .set_policy(&rick, "shop", "staging", &ApprovalPolicy::default())
        .await
        .unwrap();
    assert!(warnings.is_empty());
    assert!(matches!(
        releases.set_policy(&erin, "shop", "prod", &none).await,
        Err(ServiceError::Forbidden)
    ));

    let id = new_release(app, &erin, "1.4.0").await;
    let v = releases.get(&paula, "shop", id).await.unwrap();
    assert_eq!(
        (v.state.as_str(), v.target_environment.as_deref()),
        ("draft", Some("dev"))
    );
    assert_eq!(v.checklist.len(), 8);
    // Illegal transitions explain themselves.
    assert!(conflict(releases.promote(&sam, "shop", id, None).await).contains("draft"));

    releases.submit(&erin, "shop", id).await.unwrap();
    // dev needs nobody: approved at once, promoted.
    assert_eq!(
        releases.get(&erin, "shop", id).await.unwrap().state,
        "approved"
    );
    assert_eq!(
        releases.promote(&erin, "shop", id, None).await.unwrap(),
        "dev"
    );
    let v = releases.get(&erin, "shop", id).await.unwrap();
    assert_eq!(
        (
            v.state.as_str(),
            v.reached_environment.as_deref(),
            v.target_environment.as_deref()
        ),
        ("released", Some("dev"), Some("staging"))
    );

    // staging: 1 approval; the QA scope item is required before staging.
    releases
        .decide(
            &paula,
            "shop",
            id,
            &decision(Decision::Approve, "looks good", SHA, 0),
        )
        .await
        .unwrap();
    let blocked = conflict(releases.promote(&sam, "shop", id, None).await);
    assert!(blocked.contains("QA scope agreed"), "{blocked}");
    releases.tick(&erin, "shop", id, "qa-scope").await.unwrap();
    assert_eq!(
        releases.promote(&sam, "shop", id, None).await.unwrap(),
        "staging"
    );

    // prod: the author cannot approve; one person counts once.
    assert!(conflict(
        releases
            .decide(&erin, "shop", id, &decision(Decision::Approve, "", SHA, 0))
            .await
    )
    .contains("You authored this release"));
    releases
        .decide(&tess, "shop", id, &decision(Decision::Approve, "", SHA, 0))
        .await
        .unwrap();
    releases
        .decide(
            &tess,
            "shop",
            id,
            &decision(Decision::Approve, "again", SHA, 0),
        )
        .await
        .unwrap();
    let v = releases.get(&tess, "shop", id).await.unwrap();
    assert!(!v.approval_satisfied);
    assert!(
        v.approval_explanation.contains("a product owner or an SRE"),
        "{}",
        v.approval_explanation
    );
    tick_all(app, &rick, id).await;
    releases
        .decide(
            &sam,
            "shop",
            id,
            &decision(Decision::Approve, "on call ok", SHA, 0),
        )
        .await
        .unwrap();
    let v = releases.get(&sam, "shop", id).await.unwrap();
    assert!(v.approval_satisfied, "{}", v.approval_explanation);
    assert_eq!(v.state, "approved");
    assert_eq!(
        releases.promote(&sam, "shop", id, None).await.unwrap(),
        "prod"
    );
    let v = releases.get(&sam, "shop", id).await.unwrap();
    assert_eq!(
        (
            v.state.as_str(),
            v.reached_environment.as_deref(),
            v.target_environment
        ),
        ("released", Some("prod"), None)
    );
    assert!(v.transitions.len() >= 8, "{:?}", v.transitions);
    // Stakeholders and support cannot promote or approve.
    app.user_with_role("stella", "stakeholder", Some("shop"))
        .await;
    let stella = app.principal("stella").await;
    assert!(matches!(
        releases
            .decide(
                &stella,
                "shop",
                id,
                &decision(Decision::Approve, "", SHA, 0)
            )
            .await,
        Err(ServiceError::Forbidden)
    ));
    releases
        .roll_back(&sam, "shop", id, "checkout errors")
        .await
        .unwrap();
    assert_eq!(
        releases.get(&sam, "shop", id).await.unwrap().state,
        "rolled_back"
    );
}

async fn a_changed_artifact_voids_approvals_and_says_why(app: &TestApp) {
    let (erin, tess, paula, _, rick) = team(app).await;
    let releases = app.services.releases();
    let id = submitted(app, &rick, &erin, "2.0.0", 2).await;
    releases
        .decide(&tess, "shop", id, &decision(Decision::Approve, "", SHA, 0))
        .await
        .unwrap();
    releases
        .decide(&paula, "shop", id, &decision(Decision::Approve, "", SHA, 0))
        .await
        .unwrap();
    assert_eq!(
        releases.get(&erin, "shop", id).await.unwrap().state,
        "approved"
    );
    releases
        .change(&erin, "shop", id, &change_to(OTHER_SHA, SHA))
        .await
        .unwrap();
    let v = releases.get(&erin, "shop", id).await.unwrap();
    assert_eq!(v.state, "candidate");
    assert!(!v.approval_satisfied);
    assert!(
        v.decisions.iter().all(|d| d
            .ended
            .as_deref()
            .is_some_and(|e| e.contains("artifact changed"))),
        "{:?}",
        v.decisions
    );
    // An approval of what someone saw before the change is refused.
    assert!(conflict(
        releases
            .decide(&tess, "shop", id, &decision(Decision::Approve, "", SHA, 0))
            .await
    )
    .contains("changed since you opened it"));
    // Rejecting needs a reason, and wins.
    assert!(matches!(
        releases
            .decide(
                &tess,
                "shop",
                id,
                &decision(Decision::Reject, " ", OTHER_SHA, 0)
            )
            .await,
        Err(ServiceError::Validation(_))
    ));
    releases
        .decide(
            &tess,
            "shop",
            id,
            &decision(Decision::Reject, "no migration dry-run", OTHER_SHA, 0),
        )
        .await
        .unwrap();
    releases
        .decide(
            &paula,
            "shop",
            id,
            &decision(Decision::Approve, "", OTHER_SHA, 0),
        )
        .await
        .unwrap();
    let v = releases.get(&erin, "shop", id).await.unwrap();
    assert!(
        v.approval_explanation.contains("Rejected by tess"),
        "{}",
        v.approval_explanation
    );
    // Revoking one's own decision, until promotion.
    releases.revoke(&tess, "shop", id).await.unwrap();
    assert!(conflict(releases.revoke(&tess, "shop", id).await).contains("no decision"));
    // The approvers whose decisions were voided were told why.
    for who in [&tess, &paula] {
        let inbox = app.services.notifications().inbox(who, 10).await.unwrap();
        let voided: Vec<_> = inbox
            .iter()
            .filter(|n| n.kind == "decision_voided")
            .collect();
        assert_eq!(voided.len(), 1, "{inbox:?}");
        assert!(
            voided[0].subject == "Your approval of Shop 2.0.0 no longer counts"
                && voided[0]
                    .body
                    .contains("the artifact changed (0123456789ab → fedcba987654)")
                && voided[0].link.ends_with("#decision"),
            "{voided:?}"
        );
    }
    // Whoever puts a different artifact in counts as its creator: rick may
    // approve releases, but not one whose artifact he just set.
    releases
        .change(&rick, "shop", id, &change_to(SHA, OTHER_SHA))
        .await
        .unwrap();
    let v = releases.get(&rick, "shop", id).await.unwrap();
    assert!(v.cannot_decide_because.is_some(), "{v:?}");
    assert!(releases
        .decide(&rick, "shop", id, &decision(Decision::Approve, "", SHA, 0))
        .await
        .is_err());
    // Paula's approval of OTHER_SHA and tess's rejection are voided again.
    let inbox = app
        .services
        .notifications()
        .inbox(&paula, 10)
        .await
        .unwrap();
    assert_eq!(
        inbox.iter().filter(|n| n.kind == "decision_voided").count(),
        2
    );
}

fn glass<'a>(reason: &'a str, reviewers: &'a [String]) -> Option<BreakGlassInput<'a>> {
    Some(BreakGlassInput { reason, reviewers })
}

async fn a_freeze_blocks_production_and_break_glass_opens_a_review(app: &TestApp) {
    let (erin, tess, paula, sam, rick) = team(app).await;
    let named = ["tess".to_owned(), "Paula ".to_owned()];
    let releases = app.services.releases();
    for env in ["dev", "staging"] {
        releases
            .set_policy(
                &rick,
                "shop",
                env,
                &ApprovalPolicy {
                    required: 0,
                    groups: vec![],
                },
            )
            .await
            .unwrap();
    }
    let id = new_release(app, &erin, "3.0.0").await;
    tick_all(app, &rick, id).await;
    releases.submit(&erin, "shop", id).await.unwrap();
    releases.promote(&sam, "shop", id, None).await.unwrap();
    releases.promote(&sam, "shop", id, None).await.unwrap();
    // A freeze that is in force now, for every project.
    let now = time::OffsetDateTime::now_utc();
    let rule = serde_json::json!({
        "kind": "once",
        "start": format!("{}-{:02}-{:02}T00:00:00", now.year() - 1, u8::from(now.month()), now.day().min(28)),
        "end": format!("{}-{:02}-{:02}T00:00:00", now.year() + 1, u8::from(now.month()), now.day().min(28)),
    });
    sqlx::query("INSERT INTO freeze_windows (project_id, name, reason, rule_json, time_zone, created_at) VALUES (NULL, 'Year-end freeze', 'Holiday traffic', $1, 'UTC', 0)")
        .bind(rule.to_string())
        .execute(app.services.store.pool())
        .await
        .unwrap();
    let blocked = conflict(releases.promote(&sam, "shop", id, None).await);
    assert!(
        blocked.contains("Production is frozen until") && blocked.contains("Holiday traffic"),
        "{blocked}"
    );
    assert!(blocked.contains("Not approved for prod"), "{blocked}");
    // Break-glass: only with the permission and a reason.
    let err = conflict(
        releases
            .promote(&tess, "shop", id, glass("Payments are down", &named))
            .await
            .map_err(|e| match e {
                ServiceError::Forbidden => ServiceError::Conflict("forbidden".into()),
                e => e,
            }),
    );
    assert_eq!(err, "forbidden", "tech leads may not promote at all");
    assert!(conflict(
        releases
            .promote(&sam, "shop", id, glass("now", &named))
            .await
    )
    .contains("Say why"));
    // Named reviewers: at least one, others who may approve, never oneself.
    let reviewers_error = |r: Result<String, ServiceError>| match r {
        Err(ServiceError::Validation(e)) => e.get("reviewers").unwrap_or_default().to_owned(),
        other => panic!("expected a reviewers error, got {other:?}"),
    };
    let why = "Payments are down, INC-42";
    assert!(
        reviewers_error(releases.promote(&sam, "shop", id, glass(why, &[])).await)
            .contains("at least one")
    );
    assert!(reviewers_error(
        releases
            .promote(&sam, "shop", id, glass(why, &["sam".to_owned()]))
            .await
    )
    .contains("someone else"));
    assert!(reviewers_error(
        releases
            .promote(&sam, "shop", id, glass(why, &["nobody".to_owned()]))
            .await
    )
    .contains("\"nobody\" is not someone who can approve"));
    assert_eq!(
        releases
            .get(&sam, "shop", id)
            .await
            .unwrap()
            .reached_environment
            .as_deref(),
        Some("staging"),
        "a refused break-glass changes nothing"
    );
    assert_eq!(
        releases
            .promote(&sam, "shop", id, glass(why, &named))
            .await
            .unwrap(),
        "prod"
    );
    let v = releases.get(&sam, "shop", id).await.unwrap();
    assert_eq!(v.reached_environment.as_deref(), Some("prod"));
    assert!(v
        .transitions
        .iter()
        .any(|t| t.break_glass && t.reason.contains("INC-42")));
    let (open,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM post_release_reviews WHERE release_id = $1 AND closed_at IS NULL",
    )
    .bind(id)
    .fetch_one(app.services.store.pool())
    .await
    .unwrap();
    assert_eq!(open, 1);
    // The named reviewers are told.
    for who in [&tess, &paula] {
        let inbox = app.services.notifications().inbox(who, 10).await.unwrap();
        assert!(
            inbox.iter().any(|n| n.kind == "review_assigned"
                && n.subject.contains("Shop 3.0.0")
                && n.body.contains("INC-42")),
            "{inbox:?}"
        );
    }
    // The review shows on the dashboard until every named reviewer concluded.
    let reviews = releases.reviews(&tess, None, true).await.unwrap();
    assert_eq!(reviews.len(), 1);
    let r = &reviews[0];
    assert!(
        r.reason.contains("INC-42") && !r.overdue && r.can_close,
        "{r:?}"
    );
    let names: Vec<&str> = r.reviewers.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["paula", "tess"]);
    assert!(r.bypassed.iter().any(|b| b.contains("frozen")), "{r:?}");
    assert!(!releases.reviews(&sam, None, true).await.unwrap()[0].can_close);
    assert!(!releases.reviews(&rick, None, true).await.unwrap()[0].can_close);
    assert!(conflict(
        releases
            .close_review(&rick, "shop", r.id, "Looked at it, all fine.")
            .await
    )
    .contains("Only the named reviewers complete this review: paula, tess"));
    assert!(conflict(
        releases
            .close_review(&sam, "shop", r.id, "all fine, really")
            .await
    )
    .contains("someone else"));
    assert!(matches!(
        releases.close_review(&tess, "shop", r.id, "ok").await,
        Err(ServiceError::Validation(_))
    ));
    releases
        .close_review(
            &tess,
            "shop",
            r.id,
            "Hotfix was correct; add a canary next time.",
        )
        .await
        .unwrap();
    assert!(conflict(
        releases
            .close_review(&tess, "shop", r.id, "Saying it twice does not count.")
            .await
    )
    .contains("already given"));
    let still = &releases.reviews(&paula, None, true).await.unwrap()[0];
    assert!(still.closed.is_none() && still.can_close, "{still:?}");
    assert!(still.reviewers[1]
        .done
        .as_deref()
        .unwrap()
        .contains("canary"));
    releases
        .close_review(&paula, "shop", r.id, "Agreed; the incident note is filed.")
        .await
        .unwrap();
    assert!(releases
        .reviews(&tess, None, true)
        .await
        .unwrap()
        .is_empty());
    let all = releases.reviews(&tess, Some("shop"), false).await.unwrap();
    assert!(all[0].closed.as_deref().unwrap().starts_with("Closed on"));
    let (conclusion,): (String,) =
        sqlx::query_as("SELECT conclusion FROM post_release_reviews WHERE id = $1")
            .bind(r.id)
            .fetch_one(app.services.store.pool())
            .await
            .unwrap();
    assert!(conclusion.contains("tess: Hotfix") && conclusion.contains("paula: Agreed"));
}

async fn twenty_simultaneous_approvals_by_one_person_count_once(app: &TestApp) {
    let (erin, tess, paula, _, rick) = team(app).await;
    let releases = app.services.releases();
    let id = submitted(app, &rick, &erin, "4.0.0", 2).await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let services = app.services.clone();
        let tess = tess.clone();
        tasks.push(tokio::spawn(async move {
            services
                .releases()
                .decide(&tess, "shop", id, &decision(Decision::Approve, "", SHA, 0))
                .await
        }));
    }
    for t in tasks {
        // Each click either records the decision or finds it recorded; the
        // database may also ask one to retry (busy): never a second vote.
        let _ = t.await.unwrap();
    }
    let (live,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM approvals WHERE release_id = $1 AND ended_at IS NULL")
            .bind(id)
            .fetch_one(app.services.store.pool())
            .await
            .unwrap();
    assert_eq!(live, 1);
    let v = releases.get(&erin, "shop", id).await.unwrap();
    assert!(
        !v.approval_satisfied,
        "one person is one approval: {}",
        v.approval_explanation
    );
    // Two different approvers at the same moment: both count, exactly once.
    let approve = decision(Decision::Approve, "", SHA, 0);
    let (a, b) = tokio::join!(
        releases.decide(&paula, "shop", id, &approve),
        releases.decide(&rick, "shop", id, &approve),
    );
    let retried = |r: Result<(), ServiceError>, who: &Principal| {
        let services = app.services.clone();
        let who = who.clone();
        async move {
            if r.is_err() {
                services
                    .releases()
                    .decide(&who, "shop", id, &decision(Decision::Approve, "", SHA, 0))
                    .await
                    .unwrap();
            }
        }
    };
    retried(a, &paula).await;
    retried(b, &rick).await;
    let (live,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM approvals WHERE release_id = $1 AND ended_at IS NULL")
            .bind(id)
            .fetch_one(app.services.store.pool())
            .await
            .unwrap();
    assert_eq!(live, 3);
    let v = releases.get(&erin, "shop", id).await.unwrap();
    assert!(v.approval_satisfied, "{}", v.approval_explanation);
    assert_eq!(v.state, "approved");
}

async fn an_approval_racing_a_change_never_lands_on_the_new_artifact(app: &TestApp) {
    let (erin, tess, _, _, rick) = team(app).await;
    let releases = app.services.releases();
    require_approvals(app, &rick, "dev", 1).await;
    for round in 0..10 {
        let id = new_release(app, &erin, &format!("5.0.{round}")).await;
        releases.submit(&erin, "shop", id).await.unwrap();
        let (approval, new_artifact) = (
            decision(Decision::Approve, "", SHA, 0),
            change_to(OTHER_SHA, SHA),
        );
        let (approve, change) = tokio::join!(
            releases.decide(&tess, "shop", id, &approval),
            releases.change(&erin, "shop", id, &new_artifact),
        );
        let rows: Vec<(String, Option<i64>)> =
            sqlx::query_as("SELECT artifact, ended_at FROM approvals WHERE release_id = $1")
                .bind(id)
                .fetch_all(app.services.store.pool())
                .await
                .unwrap();
        // Whatever the order, no live approval is bound to the new artifact,
        // and an approval of the old one is never live after the change.
        assert!(rows.iter().all(|(artifact, _)| artifact == SHA), "{rows:?}");
        if change.is_ok() {
            assert!(
                rows.iter().all(|(_, ended)| ended.is_some()),
                "round {round}: {rows:?} {approve:?}"
            );
            let v = releases.get(&erin, "shop", id).await.unwrap();
            assert!(!v.approval_satisfied);
            assert_eq!(v.state, "candidate");
        }
    }
}

/// Fifty different approvers click Approve at the same moment, over HTTP:
/// every click is answered 200 (contention waits, it never fails), and each
/// counts exactly once.
async fn fifty_simultaneous_approvers_all_succeed(app: &TestApp) {
    let (erin, _, _, _, rick) = team(app).await;
    let id = submitted(app, &rick, &erin, "5.0.0", 20).await;
    let mut clients = Vec::new();
    for n in 0..50 {
        let name = format!("approver{n}");
        app.user_with_role(&name, "tech_lead", Some("shop")).await;
        clients.push(app.login(&name, USER_PASSWORD).await);
    }
    let id_text = id.to_string();
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(clients.len()));
    let mut tasks = Vec::new();
    for client in clients {
        let (url, base, id_text, barrier) = (
            app.url("/api/releases/decide"),
            app.url(""),
            id_text.clone(),
            barrier.clone(),
        );
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let response = client
                .post(url)
                .header("origin", base.trim_end_matches('/'))
                .header("accept", "application/json")
                .form(&[
                    ("slug", "shop"),
                    ("id", id_text.as_str()),
                    ("decision", "approve"),
                    ("seen_artifact", SHA),
                    ("seen_revision", "0"),
                ])
                .send()
                .await
                .unwrap();
            let status = response.status();
            (status, response.text().await.unwrap_or_default())
        }));
    }
    let mut failures = Vec::new();
    for t in tasks {
        let (status, body) = t.await.unwrap();
        if !status.is_success() {
            failures.push(format!("{status}: {body}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of 50 failed: {failures:?}",
        failures.len()
    );
    let (live,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM approvals WHERE release_id = $1 AND ended_at IS NULL")
            .bind(id)
            .fetch_one(app.services.store.pool())
            .await
            .unwrap();
    assert_eq!(live, 50);
}

/// Moving prod above staging while a release sits in dev would make prod
/// its next stop: refused, saying which release; once it has finished the
/// pipeline, the order may change.
async fn reordering_environments_never_lets_a_release_skip_one(app: &TestApp) {
    let (erin, _, _, _, rick) = team(app).await;
    let releases = app.services.releases();
    let id = submitted(app, &rick, &erin, "7.0.0", 0).await;
    releases.promote(&erin, "shop", id, None).await.unwrap();
    let admin = app.admin_principal().await;
    let projects = app.services.projects();
    let envs = projects.get(&admin, "shop").await.unwrap().environments;
    let prod = slipway_domain::EnvironmentId(envs[2].id);
    let err = conflict(
        projects
            .move_environment(&admin, "shop", prod, slipway_domain::environment::Move::Up)
            .await,
    );
    assert!(err.contains("7.0.0 (in dev)"), "{err}");
    let after = projects.get(&admin, "shop").await.unwrap().environments;
    assert_eq!(
        after.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
        ["dev", "staging", "prod"]
    );
    // Rolled back, it no longer holds the pipeline.
    releases
        .roll_back(
            &rick,
            "shop",
            id,
            "Replaced by 7.0.1 before it went further.",
        )
        .await
        .unwrap();
    projects
        .move_environment(&admin, "shop", prod, slipway_domain::environment::Move::Up)
        .await
        .unwrap();
}

on_both_databases!(
    reordering_environments_never_lets_a_release_skip_one,
    fifty_simultaneous_approvers_all_succeed,
    a_release_is_signed_off_and_promoted_through_the_pipeline,
    a_changed_artifact_voids_approvals_and_says_why,
    a_freeze_blocks_production_and_break_glass_opens_a_review,
    twenty_simultaneous_approvals_by_one_person_count_once,
    an_approval_racing_a_change_never_lands_on_the_new_artifact,
);

async fn sign_off_links_open_the_page_once_for_their_approver_only(app: &TestApp) {
    let (erin, _, _, _, _) = team(app).await;
    let releases = app.services.releases();
    let id = new_release(app, &erin, "6.0.0").await;
    assert!(conflict(
        releases
            .issue_sign_off_link(&erin, "shop", id, "paula")
            .await
    )
    .contains("nothing to sign off"));
    releases.submit(&erin, "shop", id).await.unwrap();
    assert!(matches!(
        releases
            .issue_sign_off_link(&erin, "shop", id, "nobody")
            .await,
        Err(ServiceError::Validation(_))
    ));
    assert!(matches!(
        releases
            .issue_sign_off_link(&erin, "shop", id, "erin")
            .await,
        Err(ServiceError::Validation(_))
    ));
    let issued = releases
        .issue_sign_off_link(&erin, "shop", id, "paula")
        .await
        .unwrap();
    let path = issued.path;
    assert!(path.starts_with("/sign/") && path.len() == 6 + 64, "{path}");
    assert!(!issued.emailed, "no mail configured here");
    // Paula is told on her dashboard; the inbox links to the page, and the
    // token itself is stored nowhere.
    let paula_p = app.principal("paula").await;
    let inbox = app
        .services
        .notifications()
        .inbox(&paula_p, 10)
        .await
        .unwrap();
    assert_eq!(inbox.len(), 1, "{inbox:?}");
    assert_eq!(inbox[0].kind, "sign_off_requested");
    assert_eq!(
        inbox[0].link,
        format!("/projects/shop/releases/{id}#decision")
    );
    assert!(!inbox[0].read && inbox[0].email.is_none());
    let token = path.trim_start_matches("/sign/");
    let (leaks,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM notifications WHERE body LIKE $1 OR link LIKE $1 OR COALESCE(email_link, '') LIKE $1",
    )
    .bind(format!("%{token}%"))
    .fetch_one(app.services.store.pool())
    .await
    .unwrap();
    assert_eq!(leaks, 0);
    // Only she can mark it read.
    assert!(matches!(
        app.services
            .notifications()
            .mark_read(&erin, Some(inbox[0].id))
            .await,
        Err(ServiceError::NotFound(_))
    ));
    app.services
        .notifications()
        .mark_read(&paula_p, Some(inbox[0].id))
        .await
        .unwrap();
    assert!(
        app.services
            .notifications()
            .inbox(&paula_p, 10)
            .await
            .unwrap()[0]
            .read
    );

    // Not signed in: to the login page, and back here afterwards.
    let res = app.client().get(app.url(&path)).send().await.unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["location"],
        format!("/login?next={path}").as_str()
    );
    // Someone else: refused, and the link is not used up.
    let tess = app.login("tess", USER_PASSWORD).await;
    let res = app.get(&tess, &path).await;
    assert_eq!(res.status(), reqwest::StatusCode::FORBIDDEN);
    assert!(res.text().await.unwrap().contains("sent to someone else"));
    // The approver: to the decision on the release page, once.
    let paula = app.login("paula", USER_PASSWORD).await;
    let res = app.get(&paula, &path).await;
    assert_eq!(res.status(), reqwest::StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["location"],
        format!("/projects/shop/releases/{id}#decision").as_str()
    );
    let res = app.get(&paula, &path).await;
    assert_eq!(res.status(), reqwest::StatusCode::GONE);
    assert!(res.text().await.unwrap().contains("already used"));
    // The link never decided anything.
    let v = releases.get(&erin, "shop", id).await.unwrap();
    assert!(v.decisions.is_empty());
    // Expired and unknown links.
    let path = releases
        .issue_sign_off_link(&erin, "shop", id, "paula")
        .await
        .unwrap()
        .path;
    sqlx::query("UPDATE approval_links SET expires_at = 0 WHERE used_at IS NULL")
        .execute(app.services.store.pool())
        .await
        .unwrap();
    assert_eq!(
        app.get(&paula, &path).await.status(),
        reqwest::StatusCode::GONE
    );
    assert_eq!(
        app.get(&paula, &format!("/sign/{}", "0".repeat(64)))
            .await
            .status(),
        reqwest::StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&paula, "/sign/not-a-token").await.status(),
        reqwest::StatusCode::NOT_FOUND
    );
}

on_both_databases!(sign_off_links_open_the_page_once_for_their_approver_only);

/// An open sign-off page hears about a decision within a second: on the
/// same instance through the server-sent events stream, and on another
/// instance sharing the PostgreSQL database through LISTEN/NOTIFY.
async fn changes_reach_open_pages_live(app: &TestApp) {
    let (erin, tess, _, _, _) = team(app).await;
    let releases = app.services.releases();
    let id = new_release(app, &erin, "7.0.0").await;
    releases.submit(&erin, "shop", id).await.unwrap();

    // The stream a browser opens, read as a browser would.
    let viewer = app.login("erin", USER_PASSWORD).await;
    let mut stream = viewer
        .get(app.url(&format!("/live/releases/shop/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), reqwest::StatusCode::OK);
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    // Someone else's decision arrives as an event.
    let decide = {
        let services = app.services.clone();
        let tess = tess.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            services
                .releases()
                .decide(&tess, "shop", id, &decision(Decision::Approve, "", SHA, 0))
                .await
        })
    };
    let started = std::time::Instant::now();
    let chunk = tokio::time::timeout(std::time::Duration::from_secs(5), stream.chunk())
        .await
        .expect("an event within 5 s")
        .unwrap()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&chunk).contains("event: changed"),
        "{chunk:?}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    decide.await.unwrap().unwrap();

    // Not visible: no stream.
    app.create_project(&app.admin().await, "Other", "other")
        .await;
    app.user_with_role("olly", "stakeholder", Some("other"))
        .await;
    let olly = app.login("olly", USER_PASSWORD).await;
    let res = olly
        .get(app.url(&format!("/live/releases/shop/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::NOT_FOUND);

    // A second instance on the same PostgreSQL database hears it too.
    let Some((name, admin_url)) = app.pg.clone() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let settings =
        crate::helpers::test_settings(&dir, Some(crate::helpers::with_database(&admin_url, &name)));
    let other = slipway_server::prepare(&settings, false).await.unwrap();
    let running = slipway_server::start(&settings, other.clone())
        .await
        .unwrap();
    let mut events = other.events.subscribe();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await; // LISTEN is set up
    releases.revoke(&tess, "shop", id).await.unwrap();
    let e = tokio::time::timeout(std::time::Duration::from_secs(5), events.recv())
        .await
        .expect("the other instance hears the change within 5 s")
        .unwrap();
    assert_eq!(e.release_id, id);
    running.stop().await.unwrap();
    other.store.close().await;
}

on_both_databases!(changes_reach_open_pages_live);

async fn each_project_has_its_own_checklist_template(app: &TestApp) {
    let (erin, _, _, _, rick) = team(app).await;
    let releases = app.services.releases();
    let (template, can_edit) = releases.checklist_template(&rick, "shop").await.unwrap();
    assert!(can_edit);
    assert_eq!(template.items.len(), 8, "the default until edited");
    assert!(!releases.checklist_template(&erin, "shop").await.unwrap().1);
    // Through the HTTP API: a bad key is explained; a good template is used
    // by new releases only.
    let client = app.login("rick", USER_PASSWORD).await;
    let res = app
        .post(
            &client,
            "/api/releases/checklist-template/save",
            &[
                ("slug", "shop"),
                ("items[0][title]", "Canary healthy"),
                ("items[0][key]", "Canary!"),
            ],
        )
        .await;
    assert_eq!(res.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    let before = new_release(app, &erin, "8.0.0").await;
    let res = app
        .post(
            &client,
            "/api/releases/checklist-template/save",
            &[
                ("slug", "shop"),
                ("items[0][title]", "Canary healthy"),
                ("items[0][key]", "canary"),
                ("items[0][required_before]", "production"),
                ("items[0][auto_from]", "canary-metrics"),
                ("items[1][title]", ""),
            ],
        )
        .await;
    assert_eq!(
        res.status(),
        reqwest::StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    let after = new_release(app, &erin, "8.1.0").await;
    let keys = |v: slipway_domain::read::ReleaseView| {
        v.checklist.into_iter().map(|c| c.key).collect::<Vec<_>>()
    };
    assert_eq!(
        keys(releases.get(&erin, "shop", after).await.unwrap()),
        vec!["canary"]
    );
    assert_eq!(
        keys(releases.get(&erin, "shop", before).await.unwrap()).len(),
        8,
        "existing releases keep theirs"
    );
    let res = app.login("erin", USER_PASSWORD).await;
    let res = app
        .post(
            &res,
            "/api/releases/checklist-template/save",
            &[("slug", "shop")],
        )
        .await;
    assert_eq!(res.status(), reqwest::StatusCode::FORBIDDEN);
}

on_both_databases!(each_project_has_its_own_checklist_template);

async fn bad_approval_policies_are_explained_and_production_without_approval_warns(app: &TestApp) {
    let _ = team(app).await;
    let rick = app.login("rick", USER_PASSWORD).await;
    let before = app.audit_count().await;
    for (pairs, field) in [
        (vec![("required", "two")], "required"),
        (vec![("required", "21")], "required"),
        (
            vec![
                ("required", "1"),
                ("groups[0][at_least]", "1"),
                ("groups[0][roles]", "wizard"),
            ],
            "groups[0].roles",
        ),
        (
            vec![
                ("required", "1"),
                ("groups[0][at_least]", "0"),
                ("groups[0][roles]", "sre"),
            ],
            "groups[0].at_least",
        ),
        (
            vec![
                ("required", "1"),
                ("groups[0][at_least]", "2"),
                ("groups[0][roles]", "sre"),
            ],
            "required",
        ),
    ] {
        let mut form = vec![("slug", "shop"), ("environment", "prod")];
        form.extend(pairs.iter().copied());
        let res = app.post(&rick, "/api/releases/policy", &form).await;
        assert_eq!(
            res.status(),
            reqwest::StatusCode::UNPROCESSABLE_ENTITY,
            "{pairs:?}"
        );
        let body = res.text().await.unwrap();
        assert!(
            body.contains(&format!("\"field\":\"{field}\"")),
            "{pairs:?}: {body}"
        );
        if field == "groups[0].roles" {
            assert!(
                body.contains("wizard") && body.contains("release_manager"),
                "{body}"
            );
        }
    }
    assert_eq!(app.audit_count().await, before, "nothing stored");
    // Zero approvals for production is allowed, with a warning.
    let res = app
        .post(
            &rick,
            "/api/releases/policy",
            &[("slug", "shop"), ("environment", "prod"), ("required", "0")],
        )
        .await;
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Production releases will need no approval"));
    let res = app
        .post(
            &rick,
            "/api/releases/policy",
            &[
                ("slug", "shop"),
                ("environment", "nowhere"),
                ("required", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), reqwest::StatusCode::NOT_FOUND);
}

on_both_databases!(bad_approval_policies_are_explained_and_production_without_approval_warns);

/// Evidence counts for the artifact it was recorded for: passed evidence
/// ticks the items waiting for its kind, failed or informational evidence
/// ticks nothing, bad input is explained, and a new artifact undoes the
/// ticks and marks the old evidence as such.
async fn evidence_ticks_items_for_its_artifact_only(app: &TestApp) {
    use slipway_services::releases::EvidenceInput;
    let (erin, _, _, sam, rick) = team(app).await;
    let releases = app.services.releases();
    let id = new_release(app, &erin, "8.0.0").await;
    let ev = |kind: &str, outcome: &str, summary: &str, url: &str| EvidenceInput {
        kind: kind.into(),
        outcome: outcome.into(),
        summary: summary.into(),
        url: url.into(),
    };
    let perf = |v: &slipway_domain::read::ReleaseView| {
        v.checklist
            .iter()
            .find(|c| c.key == "perf-smoke")
            .unwrap()
            .ticked
            .clone()
    };
    match releases
        .record_evidence(&sam, "shop", id, &ev("Smoke Tests", "green", "", "ftp://x"))
        .await
    {
        Err(ServiceError::Validation(e)) => assert_eq!(e.0.len(), 4, "{e:?}"),
        other => panic!("expected field errors, got {other:?}"),
    }
    assert_eq!(
        releases
            .record_evidence(
                &sam,
                "shop",
                id,
                &ev("smoke-tests", "failed", "3 of 40 failed", "")
            )
            .await
            .unwrap()
            .ticked,
        Vec::<String>::new()
    );
    assert_eq!(
        releases
            .record_evidence(
                &sam,
                "shop",
                id,
                &ev(
                    "smoke-tests",
                    "passed",
                    "40 of 40 passed",
                    "https://ci.example.com/9"
                )
            )
            .await
            .unwrap()
            .ticked,
        ["Load/performance smoke for risky changes"]
    );
    let v = releases.get(&erin, "shop", id).await.unwrap();
    assert!(perf(&v)
        .unwrap()
        .starts_with("Ticked automatically from smoke-tests"));
    assert_eq!(v.evidence.len(), 2);
    assert_eq!(
        v.evidence[0].ticked,
        ["Load/performance smoke for risky changes"]
    );
    assert!(v.evidence.iter().all(|e| e.current));
    assert!(
        v.evidence[1].ticked.is_empty(),
        "failed evidence ticks nothing"
    );

    // A different artifact: the tick is undone, the evidence is history.
    releases
        .change(&rick, "shop", id, &change_to(OTHER_SHA, SHA))
        .await
        .unwrap();
    let v = releases.get(&erin, "shop", id).await.unwrap();
    assert_eq!(perf(&v), None);
    assert!(v.evidence.iter().all(|e| !e.current));
    // Closed releases take no more evidence.
    releases
        .abandon(&rick, "shop", id, "superseded by 8.0.1")
        .await
        .unwrap();
    assert!(conflict(
        releases
            .record_evidence(&sam, "shop", id, &ev("qa-report", "info", "late", ""))
            .await
    )
    .contains("no more evidence"));
}

/// Break-glass reviews never get stuck: a named reviewer who can no longer
/// review is not waited for, and a review without anyone named (opened
/// before reviewers were named) is closed by anyone else who may approve.
async fn reviews_do_not_wait_for_reviewers_who_left(app: &TestApp) {
    let (erin, tess, paula, sam, rick) = team(app).await;
    let releases = app.services.releases();
    for env in ["dev"] {
        releases
            .set_policy(
                &rick,
                "shop",
                env,
                &ApprovalPolicy {
                    required: 1,
                    groups: vec![],
                },
            )
            .await
            .unwrap();
    }
    let id = new_release(app, &erin, "9.0.0").await;
    releases.submit(&erin, "shop", id).await.unwrap();
    releases
        .promote(
            &sam,
            "shop",
            id,
            glass(
                "Checkout down, INC-9",
                &["paula".to_owned(), "tess".to_owned()],
            ),
        )
        .await
        .unwrap();
    let review = releases.reviews(&tess, None, true).await.unwrap()[0].id;
    let admin = app.admin_principal().await;
    app.services
        .accounts()
        .set_disabled(&admin, "paula", true)
        .await
        .unwrap();
    let r = &releases.reviews(&tess, None, true).await.unwrap()[0];
    assert!(r.can_close);
    assert!(r.reviewers[0]
        .done
        .as_deref()
        .unwrap()
        .contains("can no longer review"));
    releases
        .close_review(&tess, "shop", review, "Fine; paula has left the team.")
        .await
        .unwrap();
    assert!(releases
        .reviews(&tess, None, true)
        .await
        .unwrap()
        .is_empty());
    let _ = paula;

    // A review from before named reviewers: anyone else who may approve.
    let (legacy,): (i64,) = sqlx::query_as(
        "INSERT INTO post_release_reviews (release_id, reason, bypassed, opened_by, opened_by_name, opened_at, due_at) \
         VALUES ($1, 'old outage', 'approvals', $2, 'sam', 0, 0) RETURNING id",
    )
    .bind(id)
    .bind(sam.id.0)
    .fetch_one(app.services.store.pool())
    .await
    .unwrap();
    assert!(!releases.reviews(&sam, None, true).await.unwrap()[0].can_close);
    let r = &releases.reviews(&rick, None, true).await.unwrap()[0];
    assert!(r.overdue && r.can_close && r.reviewers.is_empty(), "{r:?}");
    releases
        .close_review(&rick, "shop", legacy, "Reviewed late: runbook updated.")
        .await
        .unwrap();
    let closed = releases.reviews(&rick, Some("shop"), false).await.unwrap();
    let old = closed.iter().find(|r| r.id == legacy).unwrap();
    assert!(
        old.closed.is_some() && old.reviewers[0].name == "rick",
        "{old:?}"
    );
}

on_both_databases!(
    evidence_ticks_items_for_its_artifact_only,
    reviews_do_not_wait_for_reviewers_who_left,
);
