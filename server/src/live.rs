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

/// How often the deployment stream looks for new output. Reading the
/// database (not an in-process channel) means the page sees the output
/// whichever instance runs the adapter.
const OUTPUT_POLL: Duration = Duration::from_millis(250);

/// `GET /live/deployments/{id}`: the adapter's output of a deployment as it
/// is written (`output` events carry new text, `state` events the state),
/// from the start, ending once the deployment has finished. Anyone who
/// may see the project may watch it.
pub async fn deployment(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Extension(viewer): Extension<Viewer>,
) -> Response {
    let Some(actor) = viewer.principal.as_ref() else {
        return ServiceError::Unauthenticated.status().into_response();
    };
    if let Err(e) = state.services.deployments().by_id(actor, id).await {
        return e.status().into_response();
    }
    let services = state.services.clone();
    let stream = async_stream(services, id);
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

fn async_stream(
    services: slipway_services::Services,
    id: i64,
) -> impl tokio_stream::Stream<Item = Result<Event, Infallible>> {
    let (tx, rx) = tokio::sync::mpsc::channel::<Event>(16);
    tokio::spawn(async move {
        let mut sent: i64 = 0;
        let mut last_state = None;
        loop {
            let read = services.deployments().output_since(id, sent).await;
            let Ok(Some((text, state, len))) = read else {
                return;
            };
            if !text.is_empty() {
                sent = len;
                // SSE cannot carry a carriage return (axum refuses one).
                let text = text.replace('\r', "");
                if tx
                    .send(Event::default().event("output").data(text))
                    .await
                    .is_err()
                {
                    return;
                }
            }
            if last_state != Some(state) {
                last_state = Some(state);
                if tx
                    .send(Event::default().event("state").data(state.as_str()))
                    .await
                    .is_err()
                {
                    return;
                }
            }
            if state.is_finished() {
                let _ = tx.send(Event::default().event("end").data("{}")).await;
                return;
            }
            tokio::time::sleep(OUTPUT_POLL).await;
        }
    });
    tokio_stream::wrappers::ReceiverStream::new(rx).map(Ok)
}
