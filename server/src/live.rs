//! `GET /live/releases/{slug}/{id}`: server-sent events telling an open
//! sign-off page that its release changed (a decision, a tick, a state
//! change — on this instance or, with PostgreSQL, on any other). The page
//! then reloads the release through its server function, which checks
//! permissions as always; the stream itself carries no data.

use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use slipway_services::accounts::Viewer;
use slipway_services::ServiceError;
use std::convert::Infallible;
use std::time::Duration;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::StreamExt;

pub async fn release(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, i64)>,
    Extension(viewer): Extension<Viewer>,
) -> Response {
    let Some(actor) = viewer.principal.as_ref() else {
        return ServiceError::Unauthenticated.status().into_response();
    };
    // The same visibility rule as the page: unknown and invisible look alike
    // (both are `NotFound`).
    if let Err(e) = state.services.releases().get(actor, &slug, id).await {
        return e.status().into_response();
    }
    let stream =
        BroadcastStream::new(state.services.events.subscribe()).filter_map(move |e| match e {
            Ok(event) if event.release_id == id => Some(Ok::<_, Infallible>(
                Event::default().event("changed").data("{}"),
            )),
            Ok(_) => None,
            // Fell behind: tell the page to reload anyway.
            Err(BroadcastStreamRecvError::Lagged(_)) => {
                Some(Ok(Event::default().event("changed").data("{}")))
            }
        });
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}
