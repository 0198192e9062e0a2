-- Which projects depend on which: (project_id depends on depends_on_id).
-- The release calendar flags two releases planned the same day only when
-- one of their projects depends on the other (directly or through others).
-- Loops and self-dependencies are refused by the application (the check
-- below is a last line of defence for the simplest case).

CREATE TABLE project_dependencies (
    project_id    BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    depends_on_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (project_id, depends_on_id),
    CHECK (project_id <> depends_on_id)
);
CREATE INDEX project_dependencies_depends_on ON project_dependencies (depends_on_id);
