-- Telling people: an optional e-mail address per person, and a per-person
-- inbox whose rows are also the e-mail outbox (written in the same
-- transaction as the change they tell about, delivered by a background job).
ALTER TABLE users ADD COLUMN email TEXT;

CREATE TABLE notifications (
    id             INTEGER PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind           TEXT    NOT NULL,
    subject        TEXT    NOT NULL,
    body           TEXT    NOT NULL,
    link           TEXT    NOT NULL,
    release_id     INTEGER REFERENCES releases (id) ON DELETE CASCADE,
    created_at     INTEGER NOT NULL,
    read_at        INTEGER,
    -- NULL: no e-mail; 'pending', 'sent' or 'failed'.
    email_state    TEXT,
    email_to       TEXT,
    -- The link the e-mail carries when it differs from `link` (a sign-off
    -- link with its token): cleared once the e-mail is sent or given up.
    email_link     TEXT,
    email_attempts INTEGER NOT NULL DEFAULT 0,
    email_next_at  INTEGER,
    email_sent_at  INTEGER,
    email_error    TEXT
);
CREATE INDEX notifications_inbox ON notifications (user_id, read_at, created_at);
CREATE INDEX notifications_outbox ON notifications (email_state, email_next_at);

-- The people named to complete a break-glass review; it closes when all have.
CREATE TABLE post_release_reviewers (
    review_id    INTEGER NOT NULL REFERENCES post_release_reviews (id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_name    TEXT    NOT NULL,
    completed_at INTEGER,
    conclusion   TEXT,
    PRIMARY KEY (review_id, user_id)
);

-- Evidence recorded for a release's artifact (test reports, dry-runs, smoke
-- tests); passed evidence ticks the checklist items waiting for its kind.
CREATE TABLE release_evidence (
    id               INTEGER PRIMARY KEY,
    release_id       INTEGER NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    artifact         TEXT    NOT NULL,
    kind             TEXT    NOT NULL,
    outcome          TEXT    NOT NULL,
    summary          TEXT    NOT NULL,
    url              TEXT,
    recorded_by      INTEGER REFERENCES users (id) ON DELETE SET NULL,
    recorded_by_name TEXT    NOT NULL,
    recorded_at      INTEGER NOT NULL
);
CREATE INDEX release_evidence_release ON release_evidence (release_id, recorded_at);
