-- Themes of comments (issue 24; docs/themes.md).
--
-- responses.themes: the theme keys the comment task found in the comment (normalised
-- key phrases, "csv export"); NULL while the comment has not been looked at, '{}' when it
-- has and names none. Set by the same background task as the sentiment, never on the
-- write path. Nullable without a default: adding it rewrites nothing.
ALTER TABLE responses ADD COLUMN themes text[];

-- The task's queue is now "no themes yet": the sentiment is scored in the same pass. The
-- index covers every stored comment once (the backlog is analysed after the upgrade, its
-- sentiment scored again to the same value) and only new ones afterwards.
CREATE INDEX responses_comments_pending ON responses (received_at)
    WHERE comment <> '' AND themes IS NULL;
DROP INDEX responses_sentiment_pending;

-- A changed comment goes back to the queue for both.
CREATE OR REPLACE FUNCTION feedbackd_sentiment_requeue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.sentiment := NULL;
    NEW.sentiment_language := NULL;
    NEW.themes := NULL;
    RETURN NEW;
END
$$;

-- The project's themes: every key the task has seen (with the phrase it first saw, so a
-- report can name it) and what the operators decided about it. Counts are not here: they
-- are in the rollups, per period.
-- * label: the name shown; `renamed` once an operator chose it.
-- * hidden: left out of reports (still counted).
-- * pinned: always shown, whatever its count.
-- * merged_into: the key this one was merged into; the task files new mentions there.
CREATE TABLE themes (
    project_id  uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    key         text NOT NULL,
    label       text NOT NULL,
    renamed     boolean NOT NULL DEFAULT false,
    hidden      boolean NOT NULL DEFAULT false,
    pinned      boolean NOT NULL DEFAULT false,
    merged_into text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz,
    PRIMARY KEY (project_id, key),
    CHECK (merged_into IS DISTINCT FROM key),
    CHECK (char_length(key) BETWEEN 1 AND 128 AND char_length(label) BETWEEN 1 AND 200)
);

-- As in 000120, and each analysed comment is counted under the dimension '#theme': value
-- '' (a comment that was analysed) and each of its theme keys. Indexed attributes cannot
-- start with '#' (nor '?'), so the dimensions never meet. Sealing, erase, retention and
-- late answers keep them exact as they keep the attributes.
-- only_themes: move the '#theme' cells alone, for a row whose themes changed and nothing
-- else (the comment task, a merge), so the task never touches the hot total rows.
DROP FUNCTION feedbackd_apply_rollups(responses[], integer);
CREATE FUNCTION feedbackd_apply_rollups(changed_rows responses[], sign integer, only_themes boolean DEFAULT false)
    RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(feedbackd_seal_lock_key());

    -- Sorted so concurrent writers take row locks in one order and cannot deadlock.
    WITH cells AS (
        SELECT c.project_id, c.survey_id, d.dimension, d.value,
               date_trunc('hour', c.answered_at, 'UTC') AS bucket, coalesce(c.score, -1::smallint) AS score,
               sign * count(*) AS n
        FROM unnest(changed_rows) AS c
        JOIN projects p ON p.id = c.project_id
        CROSS JOIN LATERAL (
            SELECT '' AS dimension, '' AS value WHERE NOT only_themes
            UNION ALL
            SELECT k, left(c.attributes ->> k, 128)
            FROM unnest(p.indexed_attributes) AS k
            WHERE c.attributes ->> k IS NOT NULL AND NOT only_themes
            UNION ALL
            SELECT '?' || a.key, v.value
            FROM jsonb_each(c.answers) AS a(key, answer)
            CROSS JOIN LATERAL (
                SELECT ''::text AS value
                UNION ALL SELECT jsonb_array_elements_text(a.answer -> 'options')
                UNION ALL SELECT a.answer ->> 'rating' WHERE a.answer ? 'rating'
            ) v
            WHERE NOT only_themes
            UNION ALL
            SELECT '#theme', '' WHERE c.themes IS NOT NULL
            UNION ALL
            SELECT '#theme', t FROM unnest(c.themes) AS t
        ) d
        WHERE c.duplicate_of IS NULL
        GROUP BY 1, 2, 3, 4, 5, 6
    ), hourly AS (
        INSERT INTO score_rollups AS r (project_id, survey_id, dimension, value, bucket, score, count)
        SELECT * FROM cells ORDER BY 1, 2, 3, 4, 5, 6
        ON CONFLICT (project_id, survey_id, dimension, value, bucket, score)
        DO UPDATE SET count = r.count + excluded.count
    )
    INSERT INTO score_rollups_daily AS r (project_id, survey_id, dimension, value, day, score, count)
    SELECT c.project_id, c.survey_id, c.dimension, c.value, date_trunc('day', c.bucket, 'UTC'), c.score, sum(c.n)
    FROM cells c
    JOIN rollup_seals s ON (s.project_id, s.survey_id) = (c.project_id, c.survey_id)
    WHERE c.bucket < s.sealed_before
    GROUP BY 1, 2, 3, 4, 5, 6
    ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (project_id, survey_id, dimension, value, day, score)
    DO UPDATE SET count = r.count + excluded.count;

    IF NOT only_themes THEN
        INSERT INTO score_rollups_quarter AS r (project_id, survey_id, bucket, score, count)
        SELECT c.project_id, c.survey_id, feedbackd_quarter(c.answered_at), coalesce(c.score, -1::smallint),
               sign * count(*)
        FROM unnest(changed_rows) AS c
        WHERE c.duplicate_of IS NULL
        GROUP BY 1, 2, 3, 4
        ORDER BY 1, 2, 3, 4
        ON CONFLICT (project_id, survey_id, bucket, score)
        DO UPDATE SET count = r.count + excluded.count;
    END IF;
END
$$;

-- As in 000120, and a row whose themes alone changed moves its theme cells alone.
CREATE OR REPLACE FUNCTION feedbackd_rollups_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM feedbackd_apply_rollups(ARRAY(
        SELECT o::responses FROM old_rows o JOIN new_rows n ON (n.project_id, n.id) = (o.project_id, o.id)
        WHERE (o.score, o.answered_at, o.attributes, o.survey_id, o.duplicate_of, o.answers)
              IS DISTINCT FROM (n.score, n.answered_at, n.attributes, n.survey_id, n.duplicate_of, n.answers)), -1);
    PERFORM feedbackd_apply_rollups(ARRAY(
        SELECT n::responses FROM new_rows n JOIN old_rows o ON (n.project_id, n.id) = (o.project_id, o.id)
        WHERE (o.score, o.answered_at, o.attributes, o.survey_id, o.duplicate_of, o.answers)
              IS DISTINCT FROM (n.score, n.answered_at, n.attributes, n.survey_id, n.duplicate_of, n.answers)), 1);
    PERFORM feedbackd_apply_rollups(ARRAY(
        SELECT o::responses FROM old_rows o JOIN new_rows n ON (n.project_id, n.id) = (o.project_id, o.id)
        WHERE (o.score, o.answered_at, o.attributes, o.survey_id, o.duplicate_of, o.answers)
              IS NOT DISTINCT FROM (n.score, n.answered_at, n.attributes, n.survey_id, n.duplicate_of, n.answers)
          AND o.themes IS DISTINCT FROM n.themes), -1, true);
    PERFORM feedbackd_apply_rollups(ARRAY(
        SELECT n::responses FROM new_rows n JOIN old_rows o ON (n.project_id, n.id) = (o.project_id, o.id)
        WHERE (o.score, o.answered_at, o.attributes, o.survey_id, o.duplicate_of, o.answers)
              IS NOT DISTINCT FROM (n.score, n.answered_at, n.attributes, n.survey_id, n.duplicate_of, n.answers)
          AND o.themes IS DISTINCT FROM n.themes), 1, true);
    RETURN NULL;
END
$$;
