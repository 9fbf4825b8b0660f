DROP TRIGGER api_keys_notify_truncate ON api_keys;
DROP TRIGGER api_keys_notify_update ON api_keys;
DROP TRIGGER api_keys_notify_invalidate ON api_keys;
DROP TRIGGER surveys_notify_truncate ON surveys;
DROP TRIGGER surveys_notify_invalidate ON surveys;
DROP TRIGGER projects_notify_truncate ON projects;
DROP TRIGGER projects_notify_invalidate ON projects;
DROP FUNCTION feedbackd_notify_invalidate();
