-- Give the hourly rollups their HOT updates back (issue 25). 000180's themes index on
-- score_rollups carried `count` in its INCLUDE list. PostgreSQL decides whether an update
-- can be HOT by the columns any index names, whatever the index's predicate: with `count`
-- named, every upsert of every cell (ingest's too, which never writes a '#theme' row) was a
-- new tuple plus a new primary-key entry, the same regression 000031 had fixed. Seen in
-- pg_stat_user_tables after a benchmark: 3.3M updates of score_rollups, 0 of them HOT.
-- The themes report reads the hourly rollups only for the partial hours at the ends of a
-- period, so fetching the count from the row is cheap there; the day rollups, whose rows
-- change only for late answers, erasure and retention, keep their index-only scans.
DROP INDEX score_rollups_themes;
CREATE INDEX score_rollups_themes ON score_rollups (project_id, survey_id, bucket)
    INCLUDE (value, score) WHERE dimension = '#theme';
