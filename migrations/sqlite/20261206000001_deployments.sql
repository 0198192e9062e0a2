-- Deployments: an artifact entering an environment through the
-- environment's deploy adapter, then verified by its checks (the state
-- machine is domain/src/deployment.rs). Jobs: the one leased-work
-- mechanism for whatever outlives a request.

-- How each environment deploys (domain::deployment::adapter::DeploySettings,
-- as JSON; parsed on the way in). The default records promotions only.
ALTER TABLE environments ADD COLUMN deploy_settings TEXT NOT NULL DEFAULT '{"adapter":{"kind":"record"}}';

CREATE TABLE deployments (
    id                INTEGER PRIMARY KEY,
    project_id        BIGINT  NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    environment_id    BIGINT  NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    release_id        BIGINT  NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    kind              TEXT    NOT NULL CHECK (kind IN ('promotion', 'rollback')),
    state             TEXT    NOT NULL CHECK (state IN ('queued', 'deploying', 'verifying', 'succeeded', 'failed', 'rolled_back', 'cancelled')),
    -- The artifact reference as the release had it, and what identifies it
    -- (its digest or commit id): what "the same artifact" compares.
    artifact          TEXT    NOT NULL,
    identity          TEXT    NOT NULL,
    -- What ran in the environment when it was asked for.
    previous_identity TEXT,
    -- For a rollback: the deployment it undoes the effect of.
    rollback_of       BIGINT  REFERENCES deployments (id) ON DELETE SET NULL,
    -- One request, one deployment: a double click, a retry or a second
    -- instance asking for the same thing finds this one.
    idempotency_key   TEXT    NOT NULL UNIQUE,
    automatic         BIGINT  NOT NULL DEFAULT 0 CHECK (automatic IN (0, 1)),
    actor_id          BIGINT  REFERENCES users (id) ON DELETE SET NULL,
    actor_name        TEXT    NOT NULL,
    -- Frozen when the deployment was asked for, never recomputed: the
    -- adapter and checks in force, the approvals, the checklist, the notes
    -- revision, break-glass (JSON).
    settings          TEXT    NOT NULL,
    evidence          TEXT    NOT NULL,
    -- The adapter's output (bounded), the check results (JSON), and why it
    -- failed.
    output            TEXT    NOT NULL DEFAULT '',
    checks            TEXT    NOT NULL DEFAULT '[]',
    error             TEXT,
    verified          BIGINT  NOT NULL DEFAULT 0 CHECK (verified IN (0, 1)),
    -- Someone pressed Cancel: the runner stops the adapter or checks.
    cancel_requested  BIGINT  NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1)),
    -- What a webhook adapter's receiver reported to the callback.
    callback_state    TEXT CHECK (callback_state IN ('running', 'succeeded', 'failed')),
    callback_message  TEXT,
    created_at        BIGINT  NOT NULL,
    started_at        BIGINT,
    finished_at       BIGINT
);
CREATE INDEX deployments_environment ON deployments (environment_id, id);
CREATE INDEX deployments_release ON deployments (release_id, id);
-- One unfinished deployment of a release into an environment, and one
-- running deployment per environment (the others wait, queued).
CREATE UNIQUE INDEX deployments_one_per_release ON deployments (release_id, environment_id)
    WHERE state IN ('queued', 'deploying', 'verifying');
CREATE UNIQUE INDEX deployments_one_running ON deployments (environment_id)
    WHERE state IN ('deploying', 'verifying');

-- Whether an artifact passed its checks in an environment: the last run
-- counts (a failed re-run revokes "verified"). 'running' while they run.
CREATE TABLE verifications (
    environment_id BIGINT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    identity       TEXT   NOT NULL,
    state          TEXT   NOT NULL CHECK (state IN ('passed', 'failed', 'running')),
    why            TEXT   NOT NULL DEFAULT '',
    deployment_id  BIGINT REFERENCES deployments (id) ON DELETE SET NULL,
    at             BIGINT NOT NULL,
    PRIMARY KEY (environment_id, identity)
);

-- An artifact rolled back out of an environment is held there: automation
-- does not promote it again until someone releases the hold with a reason.
CREATE TABLE holds (
    id               INTEGER PRIMARY KEY,
    environment_id   BIGINT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    identity         TEXT   NOT NULL,
    version          TEXT   NOT NULL,
    reason           TEXT   NOT NULL,
    deployment_id    BIGINT REFERENCES deployments (id) ON DELETE SET NULL,
    held_at          BIGINT NOT NULL,
    held_by_name     TEXT   NOT NULL,
    released_at      BIGINT,
    released_by_name TEXT,
    release_reason   TEXT
);
CREATE UNIQUE INDEX holds_active ON holds (environment_id, identity) WHERE released_at IS NULL;

-- Leased work that outlives a request (deployments now). A runner takes a
-- due job by setting lease_until in the future with a conditional UPDATE;
-- while it works it renews the lease; if it dies the lease lapses and any
-- instance takes the job over. done_at ends it.
CREATE TABLE jobs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL,
    subject_id  BIGINT  NOT NULL,
    run_at      BIGINT  NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT,
    attempts    BIGINT  NOT NULL DEFAULT 0,
    last_error  TEXT,
    created_at  BIGINT  NOT NULL,
    done_at     BIGINT,
    UNIQUE (kind, subject_id)
);
CREATE INDEX jobs_due ON jobs (done_at, run_at);

-- Notification e-mail was leased on its own row (email_next_at doubled as
-- the lease); it is a job now, like deployments. Pending e-mails get theirs.
INSERT INTO jobs (kind, subject_id, run_at, created_at)
SELECT 'email', id, COALESCE(email_next_at, created_at), created_at
FROM notifications WHERE email_state = 'pending';
