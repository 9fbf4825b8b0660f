DROP INDEX score_rollups_themes;
CREATE INDEX score_rollups_themes ON score_rollups (project_id, survey_id, bucket)
    INCLUDE (value, score, count) WHERE dimension = '#theme';
