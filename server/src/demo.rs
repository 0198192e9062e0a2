//! `GET /demo/apps/{env}/health`: the demo's "deployed service". The demo's
//! command adapter writes the version it deploys into
//! `$DATA_DIR/demo/deployed/<env>`; this answers 200 with
//! `{"status": "ok", "version": ...}`, or 500 (`"status": "down"`) for a
//! version named "broken" — so the demo's checks pass, or fail and roll
//! back. Without `--seed-demo` there is no such directory: 404.

use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

pub async fn health(State(state): State<AppState>, Path(env): Path<String>) -> Response {
    let valid = !env.is_empty()
        && env.len() <= 64
        && env
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        return StatusCode::NOT_FOUND.into_response();
    }
    let dir = slipway_services::demo::deployed_dir(&state.services.git.data_dir);
    match tokio::fs::read_to_string(dir.join(&env)).await {
        Err(_) => StatusCode::NOT_FOUND.into_response(),
        Ok(version) if version.contains("broken") => (
            StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(json!({ "status": "down", "version": version })),
        )
            .into_response(),
        Ok(version) => axum::Json(json!({ "status": "ok", "version": version })).into_response(),
    }
}
