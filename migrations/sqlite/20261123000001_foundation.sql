-- Slipway foundation: accounts, roles, projects, environments, audit log, sessions.
-- Times are Unix epoch milliseconds (UTC) on both SQLite and PostgreSQL.

CREATE TABLE users (
    id                   INTEGER PRIMARY KEY,
    username             TEXT    NOT NULL UNIQUE,
    display_name         TEXT    NOT NULL,
    password_hash        TEXT    NOT NULL,
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    disabled             BOOLEAN NOT NULL DEFAULT FALSE,
    session_epoch        INTEGER NOT NULL DEFAULT 0,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);

CREATE TABLE projects (
    id                 INTEGER PRIMARY KEY,
    slug               TEXT    NOT NULL UNIQUE,
    name               TEXT    NOT NULL,
    description        TEXT    NOT NULL DEFAULT '',
    repository_url     TEXT,
    repository_web_url TEXT,
    archived_at        INTEGER,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);

CREATE TABLE environments (
    id         INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    tier       TEXT    NOT NULL CHECK (tier IN ('development', 'staging', 'production')),
    position   INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (project_id, name)
);
CREATE INDEX environments_project ON environments (project_id, position);

-- A role held for one project, or for all projects when project_id is NULL.
CREATE TABLE role_grants (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id INTEGER REFERENCES projects (id) ON DELETE CASCADE,
    role       TEXT    NOT NULL,
    granted_at INTEGER NOT NULL,
    granted_by INTEGER REFERENCES users (id)
);
CREATE UNIQUE INDEX role_grants_unique ON role_grants (user_id, COALESCE(project_id, 0), role);

CREATE TABLE audit_events (
    id            INTEGER PRIMARY KEY,
    occurred_at   INTEGER NOT NULL,
    actor_id      INTEGER REFERENCES users (id) ON DELETE SET NULL,
    actor_name    TEXT    NOT NULL,
    action        TEXT    NOT NULL,
    subject_type  TEXT    NOT NULL,
    subject_id    TEXT    NOT NULL,
    subject_label TEXT    NOT NULL,
    project_id    INTEGER REFERENCES projects (id) ON DELETE SET NULL,
    before_json   TEXT,
    after_json    TEXT
);
CREATE INDEX audit_events_time ON audit_events (occurred_at DESC, id DESC);
CREATE INDEX audit_events_project ON audit_events (project_id, id DESC);

CREATE TABLE sessions (
    id         TEXT    PRIMARY KEY,
    data       TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);
