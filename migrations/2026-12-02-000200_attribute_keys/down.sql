DROP TRIGGER responses_attribute_keys_insert ON responses;
DROP FUNCTION feedbackd_attribute_keys_on_insert();
DROP TABLE attribute_keys;
