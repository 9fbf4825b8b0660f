DROP INDEX score_rollups_daily_themes;
DROP INDEX score_rollups_themes;
