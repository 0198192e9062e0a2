-- Repositories, release policies and release notes with their revisions.
-- The repository URL and web URL stay on projects; credentials are never
-- stored: a repository names a credential from the configuration.

CREATE TABLE repositories (
    project_id        INTEGER NOT NULL PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    credential        TEXT,
    issue_url         TEXT,
    policy_json       TEXT    NOT NULL,
    fetch_interval_s  INTEGER NOT NULL DEFAULT 300,
    last_fetched_at   INTEGER,
    last_fetch_ms     INTEGER,
    last_fetch_error  TEXT,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);

-- Release notes for one upcoming release of a project (or one component),
-- from a ref. Published notes are the annotated tag's message.
CREATE TABLE release_notes (
    id               INTEGER PRIMARY KEY,
    project_id       INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    component        TEXT,
    rev              TEXT    NOT NULL,
    channel          TEXT,
    version          TEXT    NOT NULL,
    tag_name         TEXT    NOT NULL,
    base_tag         TEXT,
    tip_commit       TEXT    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('draft', 'published')),
    published_commit TEXT,
    published_at     INTEGER,
    published_by     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_by       INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX release_notes_project ON release_notes (project_id, id DESC);
CREATE UNIQUE INDEX release_notes_published_tag ON release_notes (project_id, tag_name) WHERE status = 'published';

-- Every revision of a notes text is kept. `generated` is what the generator
-- produced at that point: the base of the next three-way merge.
CREATE TABLE release_note_revisions (
    id          INTEGER PRIMARY KEY,
    notes_id    INTEGER NOT NULL REFERENCES release_notes (id) ON DELETE CASCADE,
    number      INTEGER NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('generated', 'edited', 'regenerated', 'restored')),
    body        TEXT    NOT NULL,
    generated   TEXT    NOT NULL,
    conflicts   INTEGER NOT NULL DEFAULT 0,
    author_id   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    author_name TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (notes_id, number)
);
