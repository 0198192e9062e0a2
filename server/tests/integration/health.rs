use crate::helpers::TestApp;
use crate::on_both_databases;
use reqwest::StatusCode;

async fn healthz_and_readyz_answer(app: &TestApp) {
    let c = app.client();
    let res = app.get(&c, "/healthz").await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.get(&c, "/readyz").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "ready");
}

/// The database goes away under a running server: `/readyz` says 503, pages
/// show a friendly 503 page, and nothing panics (the server keeps answering).
async fn database_unreachable_gives_503_not_a_panic(app: &TestApp) {
    let admin = app.admin().await;
    match &app.pg {
        Some((name, admin_url)) => {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(admin_url).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE {name} WITH (FORCE)"
            )))
            .execute(&mut conn)
            .await
            .unwrap();
        }
        // An embedded database cannot be unplugged; closing the pool is the
        // same failure as seen from the handlers.
        None => app.services.store.close().await,
    }
    let res = app.get(&admin, "/readyz").await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);

    let res = app.get(&admin, "/projects").await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = res.text().await.unwrap();
    assert!(body.contains("Slipway is having trouble"), "{body}");
    assert!(
        !body.to_lowercase().contains("sqlx"),
        "internals leaked: {body}"
    );

    // Anonymous sign-in attempt: a clear 503 too, never a panic.
    let anon = app.client();
    let res = app
        .post(
            &anon,
            "/api/session/login",
            &[("username", "admin"), ("password", "whatever it is")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);

    // Still alive.
    assert_eq!(app.get(&anon, "/healthz").await.status(), StatusCode::OK);
}

/// The stylesheet comes from memory with an ETag, gzip when asked, and 304s.
async fn static_assets_are_cached_and_compressed(app: &TestApp) {
    let c = app.client();
    let res = c.get(app.url("/pkg/slipway.css")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/css; charset=utf-8");
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(
        res.text().await.unwrap(),
        ".panel { padding: 1rem; }\n".repeat(100)
    );

    let res = c
        .get(app.url("/pkg/slipway.css"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);

    // The gzip copy is made in the background right after start.
    let mut encoding = String::new();
    for _ in 0..100 {
        let res = c
            .get(app.url("/pkg/slipway.css"))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        encoding = res
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        if encoding == "gzip" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(encoding, "gzip");
    let res = c.get(app.url("/pkg/nope.js")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

on_both_databases!(
    healthz_and_readyz_answer,
    database_unreachable_gives_503_not_a_panic,
    static_assets_are_cached_and_compressed,
);
