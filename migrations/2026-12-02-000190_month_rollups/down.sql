DROP TRIGGER score_rollups_daily_months_update ON score_rollups_daily;
DROP TRIGGER score_rollups_daily_months_insert ON score_rollups_daily;
DROP FUNCTION feedbackd_month_rollups_on_day_update();
DROP FUNCTION feedbackd_month_rollups_on_day_insert();
DROP FUNCTION feedbackd_add_to_months(score_rollups_daily[]);
DROP TABLE score_rollups_monthly;
