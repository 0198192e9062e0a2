-- Sign-off links sent to approvers (e-mail, chat): single-use, expiring,
-- bound to one approver. Only a hash of the token is stored. Opening one
-- still requires being signed in as that approver; it never approves.
CREATE TABLE approval_links (
    id          INTEGER PRIMARY KEY,
    token_hash  TEXT    NOT NULL UNIQUE,
    release_id  INTEGER NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);
