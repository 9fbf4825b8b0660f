ALTER TABLE score_rollups RESET (fillfactor);
ALTER TABLE score_rollups
    DROP CONSTRAINT score_rollups_pkey,
    ADD CONSTRAINT score_rollups_pkey PRIMARY KEY (project_id, survey_id, dimension, value, bucket, score)
        INCLUDE (count);

ALTER TABLE score_rollups_quarter RESET (fillfactor);
ALTER TABLE score_rollups_quarter
    DROP CONSTRAINT score_rollups_quarter_pkey,
    ADD CONSTRAINT score_rollups_quarter_pkey PRIMARY KEY (project_id, survey_id, bucket, score)
        INCLUDE (count);
