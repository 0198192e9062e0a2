//! `/api/v1/audit`: the audit log, newest first, as the audit page shows it
//! (the same service and the same rule on who reads what: `audit:read` and
//! a role that reads the audit log).
//!
//! Paging: the log is append-only and ids only grow, so "after the last
//! event shown" is exactly "older than it". The service pages by number
//! (50 events); the cursor remembers the last event shown, where it stood
//! and how many events matched then, so the next request finds its place
//! again in a page or two, however many events were added meanwhile.

use super::auth::Caller;
use super::problem::Problem;
use super::{decode_cursor, encode_cursor, with_etag, ApiQuery, Page, Paging};
use crate::state::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use slipway_domain::read::AuditEventView;
use slipway_domain::{AuditAction, Principal};
use slipway_services::audit::{AuditQuery, PER_PAGE};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

/// One audit event.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEvent {
    pub id: i64,
    /// When (UTC).
    pub at: String,
    /// Who (a username; `system` for the installation itself).
    pub actor: String,
    /// What, e.g. `release.transitioned`, `evidence.recorded`.
    pub action: String,
    /// What kind of thing it was done to (`release`, `project`, …).
    pub subject_type: String,
    pub subject_id: String,
    /// The thing as people name it (`shop 1.4.0`).
    pub subject_label: String,
    /// The project's slug, when it concerns a project.
    #[schema(required = true)]
    pub project: Option<String>,
    /// The subject before (credentials in URLs redacted).
    #[schema(required = true)]
    pub before: Option<serde_json::Value>,
    /// The subject after.
    #[schema(required = true)]
    pub after: Option<serde_json::Value>,
}

/// A snapshot as stored: JSON, or its text when it is not JSON.
fn snapshot(text: Option<String>) -> Option<serde_json::Value> {
    text.map(|t| serde_json::from_str(&t).unwrap_or(serde_json::Value::String(t)))
}

impl From<AuditEventView> for AuditEvent {
    fn from(e: AuditEventView) -> Self {
        AuditEvent {
            id: e.id,
            at: e.occurred_at,
            actor: e.actor,
            action: e.action,
            subject_type: e.subject_type,
            subject_id: e.subject_id,
            subject_label: e.subject_label,
            project: e.project_slug,
            before: snapshot(e.before),
            after: snapshot(e.after),
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditFilter {
    /// Only this project's events (its slug).
    pub project: Option<String>,
    /// Only this action (`release.transitioned`).
    pub action: Option<String>,
    /// Only this actor's events (a username).
    pub actor: Option<String>,
    /// At most this many items (1–200, default 50).
    pub limit: Option<u32>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Lists audit events, newest first. Needs `audit:read`, and a role that
/// reads the audit log (admins everywhere; release managers, SREs and
/// auditors on their projects); a service token reads its project's.
#[utoipa::path(
    get,
    path = "/api/v1/audit",
    tag = "audit",
    params(AuditFilter),
    responses(
        (status = 200, description = "The events, newest first", body = super::Page<AuditEvent>),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `audit:read`, or its owner a role that reads the audit log", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid filter or cursor", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list_audit(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    ApiQuery(filter): ApiQuery<AuditFilter>,
) -> Result<Response, Problem> {
    let paging = Paging {
        limit: filter.limit,
        cursor: filter.cursor,
    };
    let limit = paging.limit()?;
    let mark = match paging.cursor.as_deref() {
        None | Some("") => None,
        Some(c) => Some(Mark::decode(c)?),
    };
    let action = filter.action.unwrap_or_default();
    if !action.trim().is_empty() && action.parse::<AuditAction>().is_err() {
        return Err(Problem::field(
            "action",
            format!("\"{}\" is not an audit action", action.trim()),
        ));
    }
    let query = AuditQuery {
        actor: filter.actor.unwrap_or_default(),
        action,
        subject_type: String::new(),
        project: filter.project.unwrap_or_default(),
        page: 1,
    };
    let mut pages = Pages {
        state: &state,
        caller: &caller,
        query,
        got: BTreeMap::new(),
    };
    let (mut n, mut skip) = match &mark {
        None => (1, 0),
        Some(m) => pages.start_after(m).await?,
    };
    // Each event with where it stood in the page it was read from.
    let mut shown: Vec<(AuditEventView, Mark)> = Vec::new();
    'pages: loop {
        let (events, total) = pages.get(n).await?;
        let full = events.len() as i64 == PER_PAGE;
        for (i, e) in events.into_iter().enumerate().skip(skip) {
            // Older than the cursor's event and than the last one taken:
            // events added between two reads shift the pages, never the ids.
            let floor = shown
                .last()
                .map(|(_, m)| m.last_id)
                .or(mark.as_ref().map(|m| m.last_id));
            if floor.is_some_and(|f| e.id >= f) {
                continue;
            }
            let at = Mark {
                last_id: e.id,
                position: (n - 1) * PER_PAGE + i as i64,
                total,
            };
            shown.push((e, at));
            if shown.len() > limit {
                break 'pages;
            }
        }
        if !full {
            break;
        }
        n += 1;
        skip = 0;
    }
    let next_cursor = if shown.len() > limit {
        shown.truncate(limit);
        shown.last().map(|(_, m)| m.encode())
    } else {
        None
    };
    let page = Page {
        items: shown
            .into_iter()
            .map(|(e, _)| AuditEvent::from(e))
            .collect(),
        next_cursor,
    };
    Ok(with_etag(&headers, &page))
}

/// Where a page ended: the last event shown, its position in the log as
/// filtered (0 = the newest) and how many events matched then.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Mark {
    last_id: i64,
    position: i64,
    total: i64,
}

impl Mark {
    fn encode(&self) -> String {
        encode_cursor(&format!(
            "{}.{}.{}",
            self.last_id, self.position, self.total
        ))
    }

    fn decode(cursor: &str) -> Result<Mark, Problem> {
        let text = decode_cursor(cursor)?;
        let numbers: Vec<i64> = text.split('.').filter_map(|n| n.parse().ok()).collect();
        match numbers[..] {
            [last_id, position, total] if last_id > 0 && position >= 0 && total > position => {
                Ok(Mark {
                    last_id,
                    position,
                    total,
                })
            }
            _ => Err(Problem::field(
                "cursor",
                "is not a cursor this API gave out",
            )),
        }
    }
}

/// The service's pages of the log (newest first), each read at most once.
struct Pages<'a> {
    state: &'a AppState,
    caller: &'a Principal,
    query: AuditQuery,
    got: BTreeMap<i64, (Vec<AuditEventView>, i64)>,
}

/// How many pages finding the cursor's place may read before giving up.
const SEARCH_PAGES: usize = 6;

impl Pages<'_> {
    /// Page `n` (from 1): its events and how many events match in all.
    async fn get(&mut self, n: i64) -> Result<(Vec<AuditEventView>, i64), Problem> {
        if let Some(page) = self.got.get(&n) {
            return Ok(page.clone());
        }
        let query = AuditQuery {
            page: n,
            ..self.query.clone()
        };
        let page = self
            .state
            .services
            .audit()
            .list(self.caller, &query)
            .await?;
        let got = (page.events, page.total);
        self.got.insert(n, got.clone());
        Ok(got)
    }

    /// The last id on page `n`, if that page was read and is not empty.
    fn last_id_of(&self, n: i64) -> Option<i64> {
        self.got
            .get(&n)
            .and_then(|(events, _)| events.last())
            .map(|e| e.id)
    }

    /// The page and index of the first event older than `mark`'s.
    async fn start_after(&mut self, mark: &Mark) -> Result<(i64, usize), Problem> {
        // Events added since moved the mark down by as many places.
        let was_on = mark.position / PER_PAGE + 1;
        let (_, total) = self.get(was_on).await?;
        let mut n = (mark.position + (total - mark.total).max(0)) / PER_PAGE + 1;
        for _ in 0..SEARCH_PAGES {
            let (events, _) = self.get(n).await?;
            let starts_after_mark = match (events.first(), events.last()) {
                (Some(first), Some(last)) => {
                    if last.id >= mark.last_id {
                        // The whole page is the mark or newer.
                        if (events.len() as i64) < PER_PAGE {
                            return Ok((n, events.len()));
                        }
                        n += 1;
                        continue;
                    }
                    if first.id >= mark.last_id {
                        let i = events.iter().position(|e| e.id < mark.last_id);
                        return Ok((n, i.unwrap_or(events.len())));
                    }
                    true
                }
                // Past the end of the log.
                _ => true,
            };
            if starts_after_mark {
                if n <= 1 || self.last_id_of(n - 1).is_some_and(|id| id >= mark.last_id) {
                    return Ok((n, 0));
                }
                n -= 1;
            }
        }
        Err(Problem::field(
            "cursor",
            "the log changed too much since this cursor was given out; start again without it",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_round_trip_and_refuse_what_was_not_given_out() {
        let m = Mark {
            last_id: 42,
            position: 7,
            total: 90,
        };
        assert_eq!(Mark::decode(&m.encode()).ok(), Some(m));
        for bad in ["1.2", "a.b.c", "0.0.1", "5.9.3", "1.2.3.4"] {
            assert!(Mark::decode(&encode_cursor(bad)).is_err(), "{bad}");
        }
    }
}
