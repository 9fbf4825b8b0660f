-- Which survey digests have been made (issue 18). A digest's `events` row is written in the
-- transaction that inserts its row here, and only when the insert was new (ON CONFLICT DO
-- NOTHING): however many replicas look at once, and however often one restarts, each
-- survey gets one digest per period. The figures themselves live in the event's `data`.
CREATE TABLE survey_digests (
    project_id   uuid NOT NULL,
    survey_id    uuid NOT NULL,
    -- Part of the key so that a daily digest, if one comes, does not collide with the
    -- weekly one that starts on the same day.
    period       text NOT NULL CHECK (period IN ('day', 'week')),
    -- The period's first day in the project's time zone.
    period_start date NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, survey_id, period, period_start),
    FOREIGN KEY (project_id, survey_id) REFERENCES surveys (project_id, id) ON DELETE CASCADE
);
