-- Undo 000021's INCLUDE (count) on the hourly and quarter-hour rollups, and leave room on
-- their pages: every batch of answers updates the same few rows of the current hour, and
-- with the count in the index each of those updates was a new index entry (never HOT),
-- which the next upsert's conflict check then had to step over. scripts/bench-rollup-trigger
-- measures it: the rollup trigger's CPU per 60-answer batch fell by about 15 % (1.75 ms
-- against 2.05 ms, PostgreSQL's whole batch 4.3 ms against 4.6 ms).
-- Long-range reads, the reason for 000021, now read the day rollups (000030), which keep
-- INCLUDE (count): their rows change only for late answers, erasure and retention.
ALTER TABLE score_rollups
    DROP CONSTRAINT score_rollups_pkey,
    ADD CONSTRAINT score_rollups_pkey PRIMARY KEY (project_id, survey_id, dimension, value, bucket, score);
ALTER TABLE score_rollups SET (fillfactor = 70);

ALTER TABLE score_rollups_quarter
    DROP CONSTRAINT score_rollups_quarter_pkey,
    ADD CONSTRAINT score_rollups_quarter_pkey PRIMARY KEY (project_id, survey_id, bucket, score);
ALTER TABLE score_rollups_quarter SET (fillfactor = 70);
