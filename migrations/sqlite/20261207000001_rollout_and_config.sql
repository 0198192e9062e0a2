-- Progressive rollout: the step a deployment is at (0-based index into its
-- settings' `rollout`), and pausing between steps. A paused rollout stays
-- 'verifying' (its step passed its checks; the environment stays taken, so
-- the next deployment waits) with paused_at set until someone resumes it.
ALTER TABLE deployments ADD COLUMN step BIGINT NOT NULL DEFAULT 0;
ALTER TABLE deployments ADD COLUMN paused_at BIGINT;
ALTER TABLE deployments ADD COLUMN pause_requested BIGINT NOT NULL DEFAULT 0 CHECK (pause_requested IN (0, 1));
-- Abort = stop the rollout and roll back to the last verified version.
ALTER TABLE deployments ADD COLUMN abort_requested BIGINT NOT NULL DEFAULT 0 CHECK (abort_requested IN (0, 1));

-- Configuration per environment (domain/src/config_drift.rs): plain values,
-- or for secrets only a reference to where the secret lives.
CREATE TABLE environment_config (
    environment_id BIGINT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    key            TEXT   NOT NULL,
    kind           TEXT   NOT NULL CHECK (kind IN ('plain', 'secret')),
    value          TEXT   NOT NULL,
    PRIMARY KEY (environment_id, key)
);
-- Keys whose values must be the same in every environment of a project.
CREATE TABLE config_must_match (
    project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    key        TEXT   NOT NULL,
    PRIMARY KEY (project_id, key)
);
-- Promotion into this environment waits until its configuration matches
-- the previous environment's (no finding).
ALTER TABLE environments ADD COLUMN require_config_match BIGINT NOT NULL DEFAULT 0 CHECK (require_config_match IN (0, 1));
