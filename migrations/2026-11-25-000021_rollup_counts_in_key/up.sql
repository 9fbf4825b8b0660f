-- Reports read long runs of rollup rows (a year of hours is ~96,000 rows per survey). With
-- the count carried in the primary key's index they are index-only scans, instead of one
-- heap page per row: rollup rows of one dimension are spread over the heap among those of
-- every other dimension written in the same statements. One index serves both the upserts'
-- ON CONFLICT and the reads, so writes keep a single index per rollup table.
ALTER TABLE score_rollups
    DROP CONSTRAINT score_rollups_pkey,
    ADD CONSTRAINT score_rollups_pkey PRIMARY KEY (project_id, survey_id, dimension, value, bucket, score)
        INCLUDE (count);

ALTER TABLE score_rollups_quarter
    DROP CONSTRAINT score_rollups_quarter_pkey,
    ADD CONSTRAINT score_rollups_quarter_pkey PRIMARY KEY (project_id, survey_id, bucket, score)
        INCLUDE (count);
