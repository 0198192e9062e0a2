//! A release's own checklist (`checklist_items`, copied from the template
//! when the release is created) and each project's `checklist_templates`.

use slipway_domain::checklist::ChecklistItem;
use slipway_domain::ProjectId;
use sqlx::AnyConnection;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ItemRow {
    pub key: String,
    pub title: String,
    pub help: String,
    pub required_before: Option<String>,
    pub ticked_by_name: Option<String>,
    pub ticked_at: Option<i64>,
    /// The evidence kind that ticked it, when evidence did.
    pub evidence: Option<String>,
}

/// Writes a new release's checklist, in order.
pub async fn insert_items(
    conn: &mut AnyConnection,
    release_id: i64,
    items: &[ChecklistItem],
) -> Result<(), sqlx::Error> {
    for (i, item) in items.iter().enumerate() {
        sqlx::query(
            "INSERT INTO checklist_items (release_id, key, position, title, help, required_before, auto_from) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(release_id)
        .bind(&item.template.key)
        .bind(i as i64)
        .bind(&item.template.title)
        .bind(&item.template.help)
        .bind(item.template.required_before.map(|t| t.as_str()))
        .bind(item.template.auto_from.as_deref())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// A release's checklist, in order.
pub async fn items(conn: &mut AnyConnection, release_id: i64) -> Result<Vec<ItemRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT key, title, help, required_before, ticked_by_name, ticked_at, evidence \
         FROM checklist_items WHERE release_id = $1 ORDER BY position",
    )
    .bind(release_id)
    .fetch_all(conn)
    .await
}

/// Ticks an item by hand. False when it does not exist or is ticked.
pub async fn tick(
    conn: &mut AnyConnection,
    release_id: i64,
    key: &str,
    by: (i64, &str),
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE checklist_items SET ticked_by = $3, ticked_by_name = $4, ticked_at = $5 \
         WHERE release_id = $1 AND key = $2 AND ticked_at IS NULL",
    )
    .bind(release_id)
    .bind(key)
    .bind(by.0)
    .bind(by.1)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Items still waiting for evidence of `kind`: `(key, title)`, in order.
pub async fn waiting_for_evidence(
    conn: &mut AnyConnection,
    release_id: i64,
    kind: &str,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT key, title FROM checklist_items \
         WHERE release_id = $1 AND auto_from = $2 AND ticked_at IS NULL ORDER BY position",
    )
    .bind(release_id)
    .bind(kind)
    .fetch_all(conn)
    .await
}

/// Ticks an item from evidence of `kind`. False when it was ticked meanwhile.
pub async fn tick_from_evidence(
    conn: &mut AnyConnection,
    release_id: i64,
    key: &str,
    kind: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE checklist_items SET ticked_at = $3, evidence = $4, ticked_by = NULL, ticked_by_name = NULL \
         WHERE release_id = $1 AND key = $2 AND ticked_at IS NULL",
    )
    .bind(release_id)
    .bind(key)
    .bind(now)
    .bind(kind)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Undoes every tick that evidence made (the artifact changed). Returns
/// how many.
pub async fn untick_evidence(
    conn: &mut AnyConnection,
    release_id: i64,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE checklist_items SET ticked_at = NULL, evidence = NULL \
         WHERE release_id = $1 AND evidence IS NOT NULL",
    )
    .bind(release_id)
    .execute(conn)
    .await?
    .rows_affected())
}

/// The project's template as stored (JSON), if someone edited it.
pub async fn template(
    conn: &mut AnyConnection,
    project: ProjectId,
) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT template_json FROM checklist_templates WHERE project_id = $1")
            .bind(project.0)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|(json,)| json))
}

pub async fn set_template(
    conn: &mut AnyConnection,
    project: ProjectId,
    template_json: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO checklist_templates (project_id, template_json, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (project_id) DO UPDATE SET template_json = $2, updated_at = $3",
    )
    .bind(project.0)
    .bind(template_json)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}
