//! Notification e-mail through a real SMTP server (Python's aiosmtpd on
//! 127.0.0.1, writing a Maildir), read back with Python's e-mail parser:
//! sign-off links, voided decisions, retries and giving up, on SQLite and
//! PostgreSQL.

use crate::helpers::{change_to, decision, release_input, Db, TestApp, USER_PASSWORD};
use serde_json::Value;
use slipway_domain::approval::Decision;
use slipway_domain::Principal;
use slipway_services::notifications::MAX_ATTEMPTS;
use slipway_services::releases::NewReleaseInput;
use slipway_services::ServiceError;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SHA: &str = "0123456789abcdef0123456789abcdef01234567";
const OTHER_SHA: &str = "fedcba9876543210fedcba9876543210fedcba98";
const PUBLIC_URL: &str = "https://slipway.example.test";

/// A real SMTP server on 127.0.0.1 that stores what it receives.
struct Smtp {
    child: Child,
    port: u16,
    maildir: tempfile::TempDir,
}

impl Smtp {
    fn start() -> Smtp {
        crate::helpers::python_module("aiosmtpd", "aiosmtpd");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let maildir = tempfile::tempdir().unwrap();
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir.path().join("mail"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 -m aiosmtpd");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "aiosmtpd did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Smtp {
            child,
            port,
            maildir,
        }
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The messages received so far, parsed by Python's `email` package.
    fn messages(&self) -> Vec<Value> {
        let out = Command::new("python3")
            .args(["-c", READ_MAILDIR])
            .arg(self.maildir.path().join("mail"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Vec<Value>>(&out.stdout).unwrap()
    }

    /// Waits (up to 20 s) until `n` messages have arrived.
    async fn wait_for(&self, n: usize) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let got = self.messages();
            if got.len() >= n {
                return got;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "expected {n} e-mails, got {got:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        self.stop();
    }
}

const READ_MAILDIR: &str = r#"
import email, email.policy, json, mailbox, os, sys
path = sys.argv[1]
out = []
if os.path.isdir(path):
    for key, m in sorted(mailbox.Maildir(path, factory=None, create=False).items(), key=lambda kv: kv[1].get_date()):
        msg = email.message_from_bytes(m.as_bytes(), policy=email.policy.default)
        out.append({
            "to": str(msg["to"]),
            "from": str(msg["from"]),
            "subject": str(msg["subject"]),
            "body": msg.get_body(("plain",)).get_content(),
        })
print(json.dumps(out))
"#;

/// One notification's e-mail columns: (state, attempts, error, link kept?).
async fn outbox_row(app: &TestApp, id: i64) -> (Option<String>, i64, Option<String>, bool) {
    let (state, attempts, error, link): (Option<String>, i64, Option<String>, Option<String>) =
        sqlx::query_as(
            "SELECT email_state, email_attempts, email_error, email_link FROM notifications WHERE id = $1",
        )
        .bind(id)
        .fetch_one(app.services.store.pool())
        .await
        .unwrap();
    (state, attempts, error, link.is_some())
}

async fn newest_notification(app: &TestApp, user: &Principal) -> i64 {
    app.services
        .notifications()
        .inbox(user, 50)
        .await
        .unwrap()
        .iter()
        .map(|n| n.id)
        .max()
        .unwrap()
}

async fn emails_tell_approvers_and_retry(db: Db) {
    let mut smtp = Smtp::start();
    let smtp_url = smtp.url();
    let app = TestApp::spawn_with(db, |s| {
        s.smtp_url = Some(secrecy::SecretString::from(smtp_url));
        s.public_url = Some(PUBLIC_URL.into());
    })
    .await;
    let admin = app.admin().await;
    app.create_project(&admin, "Shop", "shop").await;
    for (name, role) in [("erin", "engineer"), ("paula", "product_owner")] {
        app.user_with_role(name, role, Some("shop")).await;
    }
    let (erin, paula) = (app.principal("erin").await, app.principal("paula").await);
    let accounts = app.services.accounts();

    // Addresses: checked, your own or (as a user admin) anyone's.
    match accounts
        .set_email(&paula, "paula", "paula at example")
        .await
    {
        Err(ServiceError::Validation(e)) => {
            assert!(e.get("email").unwrap().contains("not an e-mail address"))
        }
        other => panic!("expected a field error, got {other:?}"),
    }
    assert!(matches!(
        accounts
            .set_email(&erin, "paula", "erin@example.test")
            .await,
        Err(ServiceError::Forbidden)
    ));
    accounts
        .set_email(&paula, "paula", " paula@example.test ")
        .await
        .unwrap();
    assert_eq!(
        accounts.email_of(&paula, "paula").await.unwrap(),
        Some("paula@example.test".into())
    );

    // A sign-off link is e-mailed to the approver, with the absolute link.
    let releases = app.services.releases();
    let id = releases
        .create(
            &erin,
            "shop",
            &NewReleaseInput {
                title: "Gift cards".into(),
                ..release_input("6.0.0", SHA)
            },
        )
        .await
        .unwrap();
    releases.submit(&erin, "shop", id).await.unwrap();
    let issued = releases
        .issue_sign_off_link(&erin, "shop", id, "paula")
        .await
        .unwrap();
    assert!(issued.emailed);
    let mail = smtp.wait_for(1).await;
    assert_eq!(mail[0]["to"], "paula@example.test");
    assert_eq!(mail[0]["from"], "Slipway <slipway@test.invalid>");
    assert_eq!(mail[0]["subject"], "Sign-off requested: Shop 6.0.0");
    let body = mail[0]["body"].as_str().unwrap();
    assert!(
        body.contains(&format!("{PUBLIC_URL}{}", issued.path)) && body.contains("Gift cards"),
        "{body}"
    );
    // Once sent, the token is no longer stored anywhere.
    let sent = newest_notification(&app, &paula).await;
    let (state, attempts, error, link_kept) = outbox_row(&app, sent).await;
    assert_eq!(
        (state.as_deref(), attempts, error, link_kept),
        (Some("sent"), 1, None, false)
    );
    let inbox = app
        .services
        .notifications()
        .inbox(&paula, 10)
        .await
        .unwrap();
    assert_eq!(
        inbox[0].email.as_deref(),
        Some("E-mailed to paula@example.test")
    );

    // Paula approves; the artifact changes; she is told by e-mail.
    releases
        .decide(
            &paula,
            "shop",
            id,
            &decision(Decision::Approve, "ok", SHA, 0),
        )
        .await
        .unwrap();
    releases
        .change(&erin, "shop", id, &change_to(OTHER_SHA, SHA))
        .await
        .unwrap();
    let mail = smtp.wait_for(2).await;
    assert_eq!(
        mail[1]["subject"],
        "Your approval of Shop 6.0.0 no longer counts"
    );
    let body = mail[1]["body"].as_str().unwrap();
    assert!(
        body.contains("the artifact changed (0123456789ab → fedcba987654)")
            && body.contains(&format!(
                "{PUBLIC_URL}/projects/shop/releases/{id}#decision"
            )),
        "{body}"
    );

    // The mail server goes away: the e-mail waits and is retried, the
    // reason is kept, and after the last attempt it is given up (the token
    // is dropped; the dashboard entry stays).
    smtp.stop();
    releases
        .issue_sign_off_link(&erin, "shop", id, "paula")
        .await
        .unwrap();
    let waiting = newest_notification(&app, &paula).await;
    let started = Instant::now();
    let (state, attempts, error, link_kept) = loop {
        let row = outbox_row(&app, waiting).await;
        if row.1 >= 1 {
            break row;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no attempt made"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        (state.as_deref(), attempts, link_kept),
        (Some("pending"), 1, true)
    );
    assert!(
        error.as_deref().unwrap_or_default().contains("mail server"),
        "{error:?}"
    );
    sqlx::query("UPDATE notifications SET email_attempts = $2, email_next_at = 0 WHERE id = $1")
        .bind(waiting)
        .bind(MAX_ATTEMPTS - 1)
        .execute(app.services.store.pool())
        .await
        .unwrap();
    // Time passes: the e-mail's job is due again.
    sqlx::query("UPDATE jobs SET run_at = 0 WHERE kind = 'email' AND subject_id = $1")
        .bind(waiting)
        .execute(app.services.store.pool())
        .await
        .unwrap();
    app.services.notifications().deliver_due().await.unwrap();
    let (state, attempts, _, link_kept) = outbox_row(&app, waiting).await;
    assert_eq!(
        (state.as_deref(), attempts, link_kept),
        (Some("failed"), MAX_ATTEMPTS, false)
    );
    let inbox = app
        .services
        .notifications()
        .inbox(&paula, 10)
        .await
        .unwrap();
    let entry = inbox.iter().find(|n| n.id == waiting).unwrap();
    assert!(
        entry
            .email
            .as_deref()
            .unwrap()
            .starts_with("Could not be e-mailed to paula@example.test"),
        "{entry:?}"
    );
    assert_eq!(smtp.messages().len(), 2, "nothing more arrived");
    app.finish().await;
}

mod emails_tell_approvers_and_retry {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::emails_tell_approvers_and_retry(crate::helpers::Db::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::emails_tell_approvers_and_retry(crate::helpers::Db::Postgres).await;
    }
}

/// Who may record evidence, set e-mail addresses and read notifications,
/// over HTTP as every role, anonymously and as an outsider: refusals are
/// 401/403/404 and change nothing.
async fn evidence_and_addresses_check_permissions_for_every_role(app: &TestApp) {
    use slipway_domain::Role;
    let admin = app.admin().await;
    app.create_project(&admin, "Alpha", "alpha").await;
    app.create_project(&admin, "Beta", "beta").await;
    app.user_with_role("target", "engineer", Some("alpha"))
        .await;
    app.user_with_role("outsider", "stakeholder", Some("beta"))
        .await;
    let owner = app.admin_principal().await;
    let id = app
        .services
        .releases()
        .create(
            &owner,
            "alpha",
            &NewReleaseInput {
                ..release_input("1.0.0", SHA)
            },
        )
        .await
        .unwrap()
        .to_string();
    let evidence_count = || async {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM release_evidence")
            .fetch_one(app.services.store.pool())
            .await
            .unwrap();
        n
    };
    let target_email = || async {
        app.services
            .accounts()
            .email_of(&owner, "target")
            .await
            .unwrap()
    };

    let mut callers = vec![(None, "anonymous".to_owned(), app.client())];
    for role in Role::ALL {
        let name = format!("as-{}", role.as_str().replace('_', "-"));
        let scope = role.is_project_scoped().then_some("alpha");
        app.user_with_role(&name, role.as_str(), scope).await;
        callers.push((
            Some(role),
            name.clone(),
            app.login(&name, USER_PASSWORD).await,
        ));
    }
    callers.push((
        None,
        "outsider".into(),
        app.login("outsider", USER_PASSWORD).await,
    ));

    let mut checked = 0;
    for (role, name, client) in &callers {
        let anonymous = name == "anonymous";
        // Evidence: those who manage or promote releases.
        let may = matches!(
            role,
            Some(Role::Admin | Role::ReleaseManager | Role::TechLead | Role::Engineer | Role::Sre)
        );
        let before = evidence_count().await;
        let res = app
            .post(
                client,
                "/api/releases/evidence",
                &[
                    ("slug", "alpha"),
                    ("id", &id),
                    ("kind", "smoke-tests"),
                    ("outcome", "passed"),
                    ("summary", "all green"),
                ],
            )
            .await;
        let status = res.status();
        let expected = if may {
            reqwest::StatusCode::OK
        } else if anonymous {
            reqwest::StatusCode::UNAUTHORIZED
        } else if name == "outsider" {
            reqwest::StatusCode::NOT_FOUND
        } else {
            reqwest::StatusCode::FORBIDDEN
        };
        assert_eq!(status, expected, "{name}: {}", res.text().await.unwrap());
        assert_eq!(evidence_count().await, before + i64::from(may), "{name}");

        // E-mail: your own, or anyone's as a user admin.
        let own = format!("{name}@example.test");
        let res = app
            .post(
                client,
                "/api/account/email",
                &[("username", name), ("email", &own)],
            )
            .await;
        assert_eq!(
            res.status(),
            if anonymous {
                reqwest::StatusCode::UNAUTHORIZED
            } else {
                reqwest::StatusCode::OK
            },
            "{name}"
        );
        let before = target_email().await;
        let res = app
            .post(
                client,
                "/api/account/email",
                &[("username", "target"), ("email", "stolen@example.test")],
            )
            .await;
        let is_admin = *role == Some(Role::Admin);
        assert_eq!(
            res.status(),
            match (anonymous, is_admin) {
                (true, _) => reqwest::StatusCode::UNAUTHORIZED,
                (false, true) => reqwest::StatusCode::OK,
                (false, false) => reqwest::StatusCode::FORBIDDEN,
            },
            "{name}"
        );
        if is_admin {
            app.services
                .accounts()
                .set_email(&owner, "target", "")
                .await
                .unwrap();
        } else {
            assert_eq!(target_email().await, before, "{name}");
        }
        checked += 1;
    }
    assert_eq!(checked, Role::ALL.len() + 2);

    // Notifications are private: marking someone else's as read is a 404.
    let erin_like = app
        .services
        .accounts()
        .principal_of("target")
        .await
        .unwrap()
        .unwrap();
    let mut tx = app.services.store.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO notifications (user_id, kind, subject, body, link, created_at) VALUES ($1, 'test', 's', 'b', '/', 0)",
    )
    .bind(erin_like.id.0)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let theirs = app
        .services
        .notifications()
        .inbox(&erin_like, 5)
        .await
        .unwrap()[0]
        .id;
    let outsider = &callers.last().unwrap().2;
    let res = app
        .post(
            outsider,
            "/api/notifications/read",
            &[("id", &theirs.to_string())],
        )
        .await;
    assert_eq!(res.status(), reqwest::StatusCode::NOT_FOUND);
    assert!(
        !app.services
            .notifications()
            .inbox(&erin_like, 5)
            .await
            .unwrap()[0]
            .read
    );
}

crate::on_both_databases!(evidence_and_addresses_check_permissions_for_every_role);
