use crate::helpers::{TestApp, ADMIN_PASSWORD, USER_PASSWORD};
use crate::on_both_databases;
use reqwest::StatusCode;

async fn admin_signs_in_and_out(app: &TestApp) {
    let c = app.client();
    let res = app
        .post(
            &c,
            "/api/session/login",
            &[("username", "admin"), ("password", ADMIN_PASSWORD)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap()
        .to_owned();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain http must not set Secure: {cookie}"
    );

    let page = app.get(&c, "/projects").await;
    assert_eq!(page.status(), StatusCode::OK);

    let res = app.post(&c, "/api/session/logout", &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.post(&c, "/api/projects/list", &[]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

/// The session id changes at sign-in, so a planted cookie is worthless.
async fn session_id_is_cycled_at_login(app: &TestApp) {
    let c = app.client();
    // Signing in again in the same browser replaces the session id.
    let first = app
        .post(
            &c,
            "/api/session/login",
            &[("username", "admin"), ("password", ADMIN_PASSWORD)],
        )
        .await;
    let a = first
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let second = app
        .post(
            &c,
            "/api/session/login",
            &[("username", "admin"), ("password", ADMIN_PASSWORD)],
        )
        .await;
    let b = second
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let id = |s: &str| s.split(';').next().unwrap().to_owned();
    assert_ne!(id(&a), id(&b));
}

async fn unknown_user_and_wrong_password_look_the_same(app: &TestApp) {
    app.user_with_role("sam", "stakeholder", None).await;
    let c = app.client();
    let wrong = app
        .post(
            &c,
            "/api/session/login",
            &[("username", "sam"), ("password", "not the password")],
        )
        .await;
    let wrong_status = wrong.status();
    let wrong_body = wrong.text().await.unwrap();
    let unknown = app
        .post(
            &c,
            "/api/session/login",
            &[("username", "nobody"), ("password", "not the password")],
        )
        .await;
    assert_eq!(wrong_status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status(), wrong_status);
    assert_eq!(unknown.text().await.unwrap(), wrong_body);
    assert!(wrong_body.contains("InvalidCredentials"), "{wrong_body}");
}

async fn repeated_failures_are_rate_limited(app: &TestApp) {
    app.user_with_role("sam", "stakeholder", None).await;
    let c = app.client();
    for _ in 0..5 {
        let r = app
            .post(
                &c,
                "/api/session/login",
                &[("username", "sam"), ("password", "guess guess guess")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // Even the right password is refused while the account is throttled.
    let r = app
        .post(
            &c,
            "/api/session/login",
            &[("username", "sam"), ("password", USER_PASSWORD)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}

async fn changing_the_password_ends_other_sessions(app: &TestApp) {
    let a = app.admin().await;
    let b = app.admin().await;
    let res = app
        .post(
            &a,
            "/api/account/password",
            &[
                ("current_password", ADMIN_PASSWORD),
                ("new_password", "a brand new passphrase"),
                ("confirm_password", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    assert_eq!(
        app.post(&a, "/api/projects/list", &[]).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.post(&b, "/api/projects/list", &[]).await.status(),
        StatusCode::UNAUTHORIZED
    );
    app.login("admin", "a brand new passphrase").await;
}

async fn pages_send_anonymous_visitors_to_sign_in(app: &TestApp) {
    let c = app.client();
    let res = app.get(&c, "/projects").await;
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(
        res.headers().get("location").unwrap().to_str().unwrap(),
        "/login?next=/projects"
    );
    let login = app.get(&c, "/login").await;
    assert_eq!(login.status(), StatusCode::OK);
    let html = login.text().await.unwrap();
    assert!(html.contains("<label for=\"username\">Username"), "{html}");
}

/// The cookie a response sets to clear the session cookie, if any.
fn clears_session_cookie(res: &reqwest::Response) -> bool {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|c| c.starts_with("slipway_session=") && c.contains("Max-Age=0"))
}

async fn sessions_row(app: &TestApp, username: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = $1",
    )
    .bind(username)
    .fetch_one(app.services.store.pool())
    .await
    .unwrap();
    n
}

/// A request reads its session, user and grants in one statement; every
/// way a session ends still ends it at once, and clears the cookie.
async fn sessions_end_when_disabled_expired_or_not_the_signed_in_user(app: &TestApp) {
    for name in ["erin", "rick", "sam"] {
        app.user_with_role(name, "engineer", None).await;
    }
    let admin = app.admin().await;

    // Disabled: the very next request is signed out.
    let erin = app.login("erin", USER_PASSWORD).await;
    assert_eq!(app.get(&erin, "/projects").await.status(), StatusCode::OK);
    let res = app
        .post(
            &admin,
            "/api/users/disable",
            &[("username", "erin"), ("disabled", "true")],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    let res = app.get(&erin, "/projects").await;
    assert_eq!(res.status(), StatusCode::FOUND);
    assert!(clears_session_cookie(&res), "{:?}", res.headers());
    assert_eq!(sessions_row(app, "erin").await, 0, "the session is deleted");

    // Expired: signed out, the row deleted, the cookie cleared.
    let rick = app.login("rick", USER_PASSWORD).await;
    assert_eq!(app.get(&rick, "/projects").await.status(), StatusCode::OK);
    sqlx::query(
        "UPDATE sessions SET expires_at = 1 \
         WHERE user_id = (SELECT id FROM users WHERE username = 'rick')",
    )
    .execute(app.services.store.pool())
    .await
    .unwrap();
    let res = app.post(&rick, "/api/projects/list", &[]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(clears_session_cookie(&res), "{:?}", res.headers());
    assert_eq!(sessions_row(app, "rick").await, 0);

    // The session's data says who signed in: a row pointing at someone
    // else (here: the admin) signs nobody in.
    let sam = app.login("sam", USER_PASSWORD).await;
    assert_eq!(
        app.post(&sam, "/api/projects/list", &[]).await.status(),
        StatusCode::OK
    );
    sqlx::query(
        "UPDATE sessions SET user_id = (SELECT id FROM users WHERE username = 'admin') \
         WHERE user_id = (SELECT id FROM users WHERE username = 'sam')",
    )
    .execute(app.services.store.pool())
    .await
    .unwrap();
    let res = app.post(&sam, "/api/projects/list", &[]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(clears_session_cookie(&res), "{:?}", res.headers());
    assert_eq!(
        app.post(&admin, "/api/projects/list", &[]).await.status(),
        StatusCode::OK,
        "the admin's own session is untouched"
    );
}

on_both_databases!(
    admin_signs_in_and_out,
    sessions_end_when_disabled_expired_or_not_the_signed_in_user,
    session_id_is_cycled_at_login,
    unknown_user_and_wrong_password_look_the_same,
    repeated_failures_are_rate_limited,
    changing_the_password_ends_other_sessions,
    pages_send_anonymous_visitors_to_sign_in,
);
