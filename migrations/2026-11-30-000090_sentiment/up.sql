-- Sentiment of each comment (issue 24). Scored by a background task after the answer is
-- stored, never on the write path, so both columns start null:
-- * sentiment_language: the language detected in the comment (ISO 639-3, 'und' when too
--   short to tell); null means the comment has not been looked at yet.
-- * sentiment: VADER's compound score (-1..1) of an English or undetermined comment; null
--   while pending and for a comment in another language (not scored rather than scored wrong).
-- On the row rather than in a side table: the list and exports read them with no join, and
-- the pending comments are found through a partial index instead of an anti-join.
-- Nullable without a default: adding them rewrites nothing.
ALTER TABLE responses
    ADD COLUMN sentiment real,
    ADD COLUMN sentiment_language text;

-- The task's queue: it holds only comments not looked at yet, so it stays small once the
-- backlog (every comment stored before this migration) is drained.
CREATE INDEX responses_sentiment_pending ON responses (received_at)
    WHERE comment <> '' AND sentiment_language IS NULL;

-- A follow-up comment (PATCH) changes the text, so its score is stale: back to the queue.
-- In the database, so every path that changes a comment re-queues it.
CREATE FUNCTION feedbackd_sentiment_requeue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.sentiment := NULL;
    NEW.sentiment_language := NULL;
    RETURN NEW;
END
$$;

CREATE TRIGGER responses_sentiment_requeue BEFORE UPDATE OF comment ON responses
    FOR EACH ROW WHEN (NEW.comment IS DISTINCT FROM OLD.comment)
    EXECUTE FUNCTION feedbackd_sentiment_requeue();
