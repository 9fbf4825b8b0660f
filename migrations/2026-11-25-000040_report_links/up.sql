-- Share links to one survey's report page. Only the SHA-256 of a link's token is stored:
-- the token is shown once, in the link, and the link puts it in the URL fragment, which
-- browsers never send, so it reaches no access log. A link expires, and can be revoked.
CREATE TABLE report_links (
    project_id uuid NOT NULL,
    id         uuid NOT NULL DEFAULT gen_random_uuid(),
    survey_id  uuid NOT NULL,
    -- SHA-256 of the whole token (256 random bits, so a fast hash is enough).
    token_hash bytea NOT NULL CHECK (length(token_hash) = 32),
    label      text CHECK (length(label) BETWEEN 1 AND 200),
    -- The key that made it; NULL when made from the command line.
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    PRIMARY KEY (project_id, id),
    FOREIGN KEY (project_id, survey_id) REFERENCES surveys (project_id, id) ON DELETE CASCADE,
    FOREIGN KEY (project_id, created_by) REFERENCES api_keys (project_id, id) ON DELETE CASCADE,
    CHECK (expires_at > created_at)
);
-- Opening a link looks it up by its hash alone.
CREATE UNIQUE INDEX report_links_token_hash ON report_links (token_hash);
-- Listing a project's links (or one survey's), newest first; counting the live ones.
CREATE INDEX report_links_survey ON report_links (project_id, survey_id, created_at DESC);
