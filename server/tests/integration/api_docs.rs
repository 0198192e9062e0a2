//! The API's description: an OpenAPI 3.1 document generated from the code,
//! and the documentation page, both served without a token.

use crate::helpers::TestApp;
use crate::on_both_databases;
use reqwest::StatusCode;
use serde_json::Value;

on_both_databases!(the_openapi_document_describes_every_route);

async fn the_openapi_document_describes_every_route(app: &TestApp) {
    let res = app
        .api()
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let doc: Value = res.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc["components"]["securitySchemes"]["token"]["scheme"],
        "bearer"
    );
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.contains_key("/api/v1/projects"));
    assert!(paths.contains_key("/api/v1/projects/{slug}/environments"));
    // Every operation documents its errors as problem details.
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.contains_key("401"),
                "{method} {path} does not describe 401"
            );
            let problem = &responses["401"]["content"]["application/problem+json"];
            assert!(
                problem.is_object(),
                "{method} {path}: 401 is not a problem+json"
            );
        }
    }
    assert!(
        doc["components"]["schemas"]["Problem"].is_object()
            || doc["components"]["schemas"]["ProblemDetails"].is_object()
    );

    let page = app.api().get(app.url("/api/docs")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    // Served by Slipway itself: no CDN.
    assert!(html.contains("/pkg/swagger-ui-bundle.js") && !html.contains("https://"));
    let init = app
        .api()
        .get(app.url("/api/docs/init.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(init.status(), StatusCode::OK);
}
