-- Batch jobs run with their own service's database role, not through the gateway: they append their
-- audit entries to the same append-only table through this function, which writes only entries of
-- kind 'job' with subject 'job:<name>' (a job cannot write as staff) and records the role that ran it.
CREATE FUNCTION append_job_audit(job text, program_code text, target_ids jsonb, summary jsonb, request_id text,
                                 outcome text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    appended bigint;
BEGIN
    IF coalesce(job, '') = '' OR length(job) > 200 THEN
        RAISE EXCEPTION 'job: a name of 1 to 200 characters is required' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO audit_log (subject, subject_kind, program_code, user_agent, operation, target_ids, summary,
                           request_id, outcome)
    VALUES ('job:' || job, 'job', coalesce(program_code, ''), session_user, job, coalesce(target_ids, '[]'),
            coalesce(summary, '{}'), coalesce(request_id, ''), coalesce(outcome, 'ok'))
    RETURNING id INTO appended;
    RETURN appended;
END $$;
REVOKE ALL ON FUNCTION append_job_audit(text, text, jsonb, jsonb, text, text) FROM PUBLIC;

-- The roles that run jobs (those that exist here: a deployment without one of them simply skips it).
DO $$
DECLARE
    r text;
BEGIN
    FOR r IN SELECT rolname FROM pg_roles WHERE rolname IN ('loyalty_member', 'loyalty_points', 'loyalty_tier',
             'loyalty_rewards', 'loyalty_billing', 'loyalty_notifications', 'loyalty_import') LOOP
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', current_schema(), r);
        EXECUTE format('GRANT EXECUTE ON FUNCTION append_job_audit(text, text, jsonb, jsonb, text, text) TO %I', r);
    END LOOP;
END $$;
