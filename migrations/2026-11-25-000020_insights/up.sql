-- Insights: full-text search on comments, and the indexes the raw-row paths need.

-- The text search configuration comments are indexed with. 'simple' (lowercased words, no
-- stemming, no stop words) works for every language; a deployment that wants stemming
-- replaces the column in a later migration (expand: add a second column and index, switch
-- the queries; contract: drop the first), because a generated column's expression is fixed.
ALTER TABLE responses
    ADD COLUMN comment_tsv tsvector
    GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, coalesce(comment, ''))) STORED;

CREATE INDEX responses_comment_tsv ON responses USING gin (comment_tsv);

-- The list across all of a project's surveys, newest first (keyset on answered_at, id).
CREATE INDEX responses_project_time ON responses (project_id, answered_at DESC, id DESC);
