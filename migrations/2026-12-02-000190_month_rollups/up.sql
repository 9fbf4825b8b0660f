-- Month rollups: a year of a survey's themes report read 684,129 day rows of the '#theme'
-- dimension (a thousand themes, every day, every score) in 120-190 ms, and a year of the
-- per-question report some 36,000 (42-51 ms at p95); a month row stands for up to thirty
-- day rows, so a year reads twelve per value and score whatever the data's size.
--
-- A month row is the sum of its sealed days, kept so by the database itself: a trigger on
-- score_rollups_daily adds to the month whatever an insert or an update adds to a day.
-- Every writer of the day rows (the sealer, the rollup trigger's late answers, erase,
-- retention, the comment task, merges, an attribute's backfill) is covered without knowing
-- about months, and ingest, which writes day rows only for late answers, pays nothing
-- more. Day rows are deleted only when they count nothing (retention's clean-up), or with
-- their dimension (an attribute unindexed: indexing.rs deletes its months too) or their
-- survey (which takes its months with it), so deletes need no trigger. A month is whole
-- once sealed to its end; the reader (crates/insights/src/pieces.rs) uses no other.
CREATE TABLE score_rollups_monthly (
    project_id uuid NOT NULL,
    survey_id  uuid NOT NULL,
    dimension  text NOT NULL,
    value      text NOT NULL,
    month      timestamptz NOT NULL,  -- start of a UTC month
    score      smallint NOT NULL,
    count      bigint NOT NULL,
    PRIMARY KEY (project_id, survey_id, dimension, value, month, score) INCLUDE (count),
    FOREIGN KEY (project_id, survey_id) REFERENCES surveys (project_id, id) ON DELETE CASCADE
);
-- As migration 000180: the themes report reads every theme of a piece in one range scan.
CREATE INDEX score_rollups_monthly_themes ON score_rollups_monthly (project_id, survey_id, month)
    INCLUDE (value, score, count) WHERE dimension = '#theme';

-- Adds day counts (or changes of them) to their months. Sorted so concurrent writers take
-- row locks in one order and cannot deadlock.
CREATE FUNCTION feedbackd_add_to_months(days score_rollups_daily[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO score_rollups_monthly AS r (project_id, survey_id, dimension, value, month, score, count)
    SELECT project_id, survey_id, dimension, value, date_trunc('month', day, 'UTC'), score, sum(count)
    FROM unnest(days)
    GROUP BY 1, 2, 3, 4, 5, 6
    HAVING sum(count) <> 0
    ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (project_id, survey_id, dimension, value, month, score)
    DO UPDATE SET count = r.count + excluded.count
$$;

-- Statement triggers fire for every insert into the day rows, also the rollup trigger's
-- for an ingest batch without late answers, which adds none: that one returns at once.
CREATE FUNCTION feedbackd_month_rollups_on_day_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT FROM new_days) THEN
        PERFORM feedbackd_add_to_months(ARRAY(SELECT ROW(d.*)::score_rollups_daily FROM new_days d));
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION feedbackd_month_rollups_on_day_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- A day row's key never changes; only its count does.
    IF EXISTS (SELECT FROM new_days) THEN
        PERFORM feedbackd_add_to_months(ARRAY(
            SELECT ROW(n.project_id, n.survey_id, n.dimension, n.value, n.day, n.score, n.count - o.count)::score_rollups_daily
            FROM new_days n
            JOIN old_days o USING (project_id, survey_id, dimension, value, day, score)));
    END IF;
    RETURN NULL;
END
$$;

-- The triggers first: they lock the day rows against writers until this migration commits,
-- so the months filled below miss nothing and count nothing twice.
CREATE TRIGGER score_rollups_daily_months_insert AFTER INSERT ON score_rollups_daily
    REFERENCING NEW TABLE AS new_days
    FOR EACH STATEMENT EXECUTE FUNCTION feedbackd_month_rollups_on_day_insert();
CREATE TRIGGER score_rollups_daily_months_update AFTER UPDATE ON score_rollups_daily
    REFERENCING OLD TABLE AS old_days NEW TABLE AS new_days
    FOR EACH STATEMENT EXECUTE FUNCTION feedbackd_month_rollups_on_day_update();

INSERT INTO score_rollups_monthly (project_id, survey_id, dimension, value, month, score, count)
SELECT project_id, survey_id, dimension, value, date_trunc('month', day, 'UTC'), score, sum(count)
FROM score_rollups_daily
GROUP BY 1, 2, 3, 4, 5, 6
HAVING sum(count) <> 0;

-- Statistics now, not when autovacuum gets to it: without them the planner guesses one row
-- per range and reads the months through the primary key with sorts (a year's themes
-- report: p95 157-168 ms without, 85-99 ms with; scripts/bench-themes, BENCHMARKS.md).
ANALYZE score_rollups_monthly;
