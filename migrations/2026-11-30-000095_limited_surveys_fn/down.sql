DROP FUNCTION feedbackd_limited_surveys(uuid[], uuid[]);
