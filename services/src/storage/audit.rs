//! The `audit_events` table: append-only.

use slipway_domain::{AuditAction, ProjectId, UserId};
use sqlx::AnyConnection;

/// One event to append. `before`/`after` are JSON snapshots of the subject.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub actor: Option<(UserId, &'a str)>,
    pub action: AuditAction,
    pub subject_id: String,
    pub subject_label: String,
    pub project: Option<ProjectId>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

pub async fn insert(
    conn: &mut AnyConnection,
    e: &NewEvent<'_>,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO audit_events (occurred_at, actor_id, actor_name, action, subject_type, subject_id, subject_label, project_id, before_json, after_json) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(now)
    // Id 0 is the built-in system actor (seeding, command line): no user row.
    .bind(e.actor.map(|(id, _)| id.0).filter(|id| *id > 0))
    .bind(e.actor.map_or("system", |(_, name)| name))
    .bind(e.action.as_str())
    .bind(e.action.subject_type())
    .bind(&e.subject_id)
    .bind(&e.subject_label)
    .bind(e.project.map(|p| p.0))
    .bind(e.before.as_ref().map(|v| v.to_string()))
    .bind(e.after.as_ref().map(|v| v.to_string()))
    .fetch_one(conn)
    .await?;
    Ok(id)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub id: i64,
    pub occurred_at: i64,
    pub actor_name: String,
    pub action: String,
    pub subject_type: String,
    pub subject_id: String,
    pub subject_label: String,
    pub project_slug: Option<String>,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
}

/// Filters for listing events; every text filter is an exact match.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub subject_type: Option<String>,
    pub project: Option<ProjectId>,
    /// Restricts to these projects' events (`None` = no restriction).
    pub visible_projects: Option<Vec<ProjectId>>,
}

enum Bind {
    Text(String),
    Int(i64),
}

fn where_clause(f: &Filter) -> (String, Vec<Bind>) {
    let mut sql = String::from(" WHERE 1 = 1");
    let mut binds = Vec::new();
    let mut push = |sql: &mut String, fragment: &str, b: Bind| {
        binds.push(b);
        sql.push_str(&fragment.replace('?', &format!("${}", binds.len())));
    };
    if let Some(actor) = &f.actor {
        push(&mut sql, " AND e.actor_name = ?", Bind::Text(actor.clone()));
    }
    if let Some(action) = &f.action {
        push(&mut sql, " AND e.action = ?", Bind::Text(action.clone()));
    }
    if let Some(st) = &f.subject_type {
        push(&mut sql, " AND e.subject_type = ?", Bind::Text(st.clone()));
    }
    if let Some(p) = f.project {
        push(&mut sql, " AND e.project_id = ?", Bind::Int(p.0));
    }
    if let Some(visible) = &f.visible_projects {
        if visible.is_empty() {
            sql.push_str(" AND 1 = 0");
        } else {
            let ids: Vec<String> = visible.iter().map(|p| p.0.to_string()).collect();
            sql.push_str(&format!(" AND e.project_id IN ({})", ids.join(", ")));
        }
    }
    (sql, binds)
}

pub async fn list(
    conn: &mut AnyConnection,
    filter: &Filter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<EventRow>, i64), sqlx::Error> {
    let (clause, binds) = where_clause(filter);
    let count_sql = format!("SELECT COUNT(*) FROM audit_events e{clause}");
    let mut count = sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(count_sql));
    for b in &binds {
        count = match b {
            Bind::Text(s) => count.bind(s.clone()),
            Bind::Int(i) => count.bind(*i),
        };
    }
    let (total,) = count.fetch_one(&mut *conn).await?;

    let n = binds.len();
    let sql = format!(
        "SELECT e.id, e.occurred_at, e.actor_name, e.action, e.subject_type, e.subject_id, e.subject_label, \
         p.slug AS project_slug, e.before_json, e.after_json \
         FROM audit_events e LEFT JOIN projects p ON p.id = e.project_id{clause} \
         ORDER BY e.id DESC LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    let mut q = sqlx::query_as::<_, EventRow>(sqlx::AssertSqlSafe(sql));
    for b in binds {
        q = match b {
            Bind::Text(s) => q.bind(s),
            Bind::Int(i) => q.bind(i),
        };
    }
    let rows = q.bind(limit).bind(offset).fetch_all(conn).await?;
    Ok((rows, total))
}

/// Distinct actor names, for the filter's choices.
pub async fn actors(conn: &mut AnyConnection) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT DISTINCT actor_name FROM audit_events ORDER BY actor_name")
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|(a,)| a).collect())
}
