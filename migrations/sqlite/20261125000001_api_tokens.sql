-- API tokens for CI and scripts (`Authorization: Bearer slw_...`). Only a
-- keyed hash (HMAC-SHA256) of the secret is stored; `hint` is its first 8
-- characters after the prefix, to tell tokens apart in lists.
--
-- A personal token acts as `user_id`, its owner. A service token belongs to
-- `project_id` and acts as `user_id`, a service account created for it
-- (users.kind = 'service': it cannot sign in and holds no roles), so that
-- what it does is attributed to it in every record that names a person.

ALTER TABLE users ADD COLUMN kind TEXT NOT NULL DEFAULT 'person' CHECK (kind IN ('person', 'service'));

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    kind         TEXT    NOT NULL CHECK (kind IN ('personal', 'service')),
    name         TEXT    NOT NULL,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id   INTEGER REFERENCES projects (id) ON DELETE CASCADE,
    -- 1: every project the source can reach; 0: those in api_token_projects.
    all_projects INTEGER NOT NULL CHECK (all_projects IN (0, 1)),
    scopes       TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,
    hint         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    created_by   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    expires_at   INTEGER NOT NULL,
    revoked_at   INTEGER,
    revoked_by   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    last_used_at INTEGER,
    last_used_ip TEXT,
    CHECK ((kind = 'service') = (project_id IS NOT NULL))
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
CREATE INDEX api_tokens_project ON api_tokens (project_id);

CREATE TABLE api_token_projects (
    token_id   INTEGER NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    PRIMARY KEY (token_id, project_id)
);

-- Secrets of the installation, generated on first start (the key that
-- API token hashes are made with).
CREATE TABLE installation_secrets (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
