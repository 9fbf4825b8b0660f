DROP TRIGGER responses_contacts_insert ON responses;
DROP FUNCTION feedbackd_contacts_on_insert();
DROP TABLE respondent_contacts;
