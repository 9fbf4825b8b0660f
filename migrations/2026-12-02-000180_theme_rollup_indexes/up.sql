-- A themes report reads every theme of a period: one index range scan on time per piece
-- of the period, instead of one per (piece, theme) through the primary key, which led by
-- value; a survey has hundreds to thousands of themes, an attribute a handful of values
-- (scripts/bench-themes: a year's report over a million comments took 1.3 s, 3,200 probes).
-- Partial: only '#theme' cells are in them, so ingest, which writes the other dimensions,
-- never touches them; the comment task, which writes theme cells, pays for them.
CREATE INDEX score_rollups_themes ON score_rollups (project_id, survey_id, bucket)
    INCLUDE (value, score, count) WHERE dimension = '#theme';
CREATE INDEX score_rollups_daily_themes ON score_rollups_daily (project_id, survey_id, day)
    INCLUDE (value, score, count) WHERE dimension = '#theme';
