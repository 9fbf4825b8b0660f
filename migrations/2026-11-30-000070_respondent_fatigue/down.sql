DROP TABLE survey_events;
DROP TABLE survey_impressions;
DROP TABLE survey_counters;
ALTER TABLE surveys
    DROP CONSTRAINT surveys_schedule_order,
    DROP COLUMN opens_at, DROP COLUMN closes_at, DROP COLUMN response_limit, DROP COLUMN closed_at;
ALTER TABLE projects DROP COLUMN fatigue, DROP COLUMN time_zone;
