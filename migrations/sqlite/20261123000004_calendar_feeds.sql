-- Private calendar feeds (iCalendar, RFC 5545): one token per subscription.
-- Only a SHA-256 hash of the token is stored; the token itself is shown
-- once, in the feed's address. project_id NULL: every project the owner sees.

CREATE TABLE feed_tokens (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id INTEGER REFERENCES projects (id) ON DELETE CASCADE,
    token_hash TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX feed_tokens_user ON feed_tokens (user_id, id);
