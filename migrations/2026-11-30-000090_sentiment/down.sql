DROP TRIGGER responses_sentiment_requeue ON responses;
DROP FUNCTION feedbackd_sentiment_requeue();
DROP INDEX responses_sentiment_pending;
ALTER TABLE responses DROP COLUMN sentiment, DROP COLUMN sentiment_language;
