//! PostgreSQL's `NOTIFY`/`LISTEN` channel that carries live events between
//! Slipway instances sharing one database (no table: the payload is JSON).

use sqlx::postgres::PgListener;
use sqlx::AnyConnection;

const CHANNEL: &str = "slipway_events";

/// Publishes a payload to every instance listening (PostgreSQL only).
pub async fn notify(conn: &mut AnyConnection, payload: &str) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(payload)
        .execute(conn)
        .await?;
    Ok(())
}

/// A dedicated connection listening on the channel (PostgreSQL only).
pub async fn listen(url: &str) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect(url).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}
