-- The attribute keys each survey's answers have carried: the CSV export's columns, known
-- before its first row without reading every answer of the range first (finding them with
-- jsonb_object_keys over a million answers took 1.6 s, a fifth of the export's time).
-- Kept by a statement trigger, so every writer of answers (ingest, seed's COPY, imports)
-- keeps it without code of its own; a row is never taken back when the answers carrying
-- the key are erased or expire, so the columns of a survey's exports stay the same.
CREATE TABLE attribute_keys (
    project_id uuid NOT NULL,
    survey_id uuid NOT NULL,
    key text NOT NULL,
    PRIMARY KEY (project_id, survey_id, key),
    FOREIGN KEY (project_id, survey_id) REFERENCES surveys (project_id, id) ON DELETE CASCADE
);

CREATE FUNCTION feedbackd_attribute_keys_on_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- A batch almost always carries keys that are known already: the conflict check is
    -- one index probe per distinct key, and nothing is written.
    INSERT INTO attribute_keys (project_id, survey_id, key)
    SELECT DISTINCT n.project_id, n.survey_id, k.key
    FROM new_rows n CROSS JOIN LATERAL jsonb_object_keys(n.attributes) AS k(key)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE TRIGGER responses_attribute_keys_insert AFTER INSERT ON responses
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feedbackd_attribute_keys_on_insert();

INSERT INTO attribute_keys (project_id, survey_id, key)
SELECT DISTINCT r.project_id, r.survey_id, k.key
FROM responses r CROSS JOIN LATERAL jsonb_object_keys(r.attributes) AS k(key);
