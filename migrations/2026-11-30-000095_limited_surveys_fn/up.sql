-- The writer's first statement in every batch's transaction, in one round trip: take the
-- writers' lock shared, then list the batch's surveys that have a response limit. The
-- lock must come first and the query must see what committed while it waited (setting a
-- limit counts the stored answers under that lock held exclusively); in a VOLATILE
-- plpgsql function each statement takes a new snapshot, so both hold in one call.
CREATE FUNCTION feedbackd_limited_surveys(p_projects uuid[], p_surveys uuid[])
    RETURNS TABLE (project_id uuid, survey_id uuid, response_limit integer)
    LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
BEGIN
    PERFORM pg_advisory_xact_lock_shared(feedbackd_seal_lock_key());
    RETURN QUERY
        SELECT s.project_id, s.id, s.response_limit FROM surveys s
        JOIN unnest(p_projects, p_surveys) AS b(project_id, survey_id)
          ON (s.project_id, s.id) = (b.project_id, b.survey_id)
        WHERE s.response_limit IS NOT NULL;
END
$$;
