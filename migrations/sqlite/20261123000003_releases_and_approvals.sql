-- Releases and their lifecycle, approval policies per environment,
-- approvals bound to the artifact and notes revision, checklists, freeze
-- windows, release trains, and post-release reviews after break-glass.

CREATE TABLE releases (
    id                  INTEGER PRIMARY KEY,
    project_id          INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    version             TEXT    NOT NULL,
    title               TEXT    NOT NULL DEFAULT '',
    notes_id            INTEGER REFERENCES release_notes (id) ON DELETE SET NULL,
    notes_revision      INTEGER NOT NULL DEFAULT 0,
    -- The artifact it ships: the commit SHA until artifacts exist, then an
    -- immutable digest. Approvals are bound to it.
    artifact            TEXT    NOT NULL,
    artifact_created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    author_id           INTEGER REFERENCES users (id) ON DELETE SET NULL,
    owner_id            INTEGER REFERENCES users (id) ON DELETE SET NULL,
    planned_at          INTEGER,
    state               TEXT    NOT NULL CHECK (state IN ('draft', 'candidate', 'approved', 'deploying', 'released', 'rolled_back', 'abandoned')),
    -- The environment it is approved for / deploying to / last reached.
    target_environment_id  INTEGER REFERENCES environments (id) ON DELETE SET NULL,
    reached_environment_id INTEGER REFERENCES environments (id) ON DELETE SET NULL,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    UNIQUE (project_id, version)
);
CREATE INDEX releases_project ON releases (project_id, id DESC);
CREATE INDEX releases_planned ON releases (planned_at);

-- Every state change, for the release page's timeline (the audit log has
-- the same with before/after).
CREATE TABLE release_transitions (
    id             INTEGER PRIMARY KEY,
    release_id     INTEGER NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    from_state     TEXT    NOT NULL,
    to_state       TEXT    NOT NULL,
    transition     TEXT    NOT NULL,
    environment_id INTEGER REFERENCES environments (id) ON DELETE SET NULL,
    actor_id       INTEGER REFERENCES users (id) ON DELETE SET NULL,
    actor_name     TEXT    NOT NULL,
    reason         TEXT    NOT NULL DEFAULT '',
    break_glass    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     INTEGER NOT NULL
);
CREATE INDEX release_transitions_release ON release_transitions (release_id, id);

CREATE TABLE approval_policies (
    environment_id INTEGER NOT NULL PRIMARY KEY REFERENCES environments (id) ON DELETE CASCADE,
    policy_json    TEXT    NOT NULL,
    updated_by     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    updated_at     INTEGER NOT NULL
);

-- One live decision per person, release and environment: 20 simultaneous
-- clicks count once. Revoked or voided decisions stay for the record.
CREATE TABLE approvals (
    id             INTEGER PRIMARY KEY,
    release_id     INTEGER NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    environment_id INTEGER NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_name      TEXT    NOT NULL,
    roles          TEXT    NOT NULL,
    decision       TEXT    NOT NULL CHECK (decision IN ('approve', 'reject')),
    comment        TEXT    NOT NULL DEFAULT '',
    artifact       TEXT    NOT NULL,
    notes_revision INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    ended_at       INTEGER,
    ended_reason   TEXT
);
CREATE UNIQUE INDEX approvals_live ON approvals (release_id, environment_id, user_id) WHERE ended_at IS NULL;

CREATE TABLE checklist_templates (
    project_id    INTEGER NOT NULL PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    template_json TEXT    NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE checklist_items (
    release_id      INTEGER NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    key             TEXT    NOT NULL,
    position        INTEGER NOT NULL,
    title           TEXT    NOT NULL,
    help            TEXT    NOT NULL DEFAULT '',
    required_before TEXT,
    auto_from       TEXT,
    ticked_by       INTEGER REFERENCES users (id) ON DELETE SET NULL,
    ticked_by_name  TEXT,
    ticked_at       INTEGER,
    evidence        TEXT,
    PRIMARY KEY (release_id, key)
);

-- project_id NULL: applies to every project.
CREATE TABLE freeze_windows (
    id         INTEGER PRIMARY KEY,
    project_id INTEGER REFERENCES projects (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    reason     TEXT    NOT NULL,
    rule_json  TEXT    NOT NULL,
    time_zone  TEXT    NOT NULL,
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE trains (
    id         INTEGER PRIMARY KEY,
    project_id INTEGER REFERENCES projects (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    rule_json  TEXT    NOT NULL,
    time_zone  TEXT    NOT NULL,
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL
);

-- Opened by break-glass; named reviewers must close it before it is due.
CREATE TABLE post_release_reviews (
    id             INTEGER PRIMARY KEY,
    release_id     INTEGER NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    environment_id INTEGER REFERENCES environments (id) ON DELETE SET NULL,
    reason         TEXT    NOT NULL,
    bypassed       TEXT    NOT NULL,
    opened_by      INTEGER REFERENCES users (id) ON DELETE SET NULL,
    opened_by_name TEXT    NOT NULL,
    opened_at      INTEGER NOT NULL,
    due_at         INTEGER NOT NULL,
    closed_at      INTEGER,
    closed_by      INTEGER REFERENCES users (id) ON DELETE SET NULL,
    conclusion     TEXT
);
CREATE INDEX post_release_reviews_open ON post_release_reviews (closed_at, due_at);
