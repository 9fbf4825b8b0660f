// @generated automatically by Diesel CLI.

pub mod sql_types {
    #[derive(diesel::query_builder::QueryId, Clone, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "tsvector", schema = "pg_catalog"))]
    pub struct Tsvector;

    #[derive(diesel::query_builder::QueryId, Clone, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "xid8", schema = "pg_catalog"))]
    pub struct Xid8;
}

diesel::table! {
    api_keys (project_id, id) {
        project_id -> Uuid,
        id -> Uuid,
        kind -> Text,
        name -> Text,
        prefix -> Text,
        token_hash -> Bytea,
        scopes -> Array<Text>,
        created_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    attribute_backfills (project_id, key) {
        project_id -> Uuid,
        key -> Text,
        counted_from -> Timestamptz,
        started_at -> Timestamptz,
    }
}

diesel::table! {
    attribute_keys (project_id, survey_id, key) {
        project_id -> Uuid,
        survey_id -> Uuid,
        key -> Text,
    }
}

diesel::table! {
    audit_events (project_id, id) {
        project_id -> Uuid,
        id -> Int8,
        at -> Timestamptz,
        user_id -> Nullable<Uuid>,
        key_id -> Nullable<Uuid>,
        actor -> Text,
        action -> Text,
        target -> Text,
        detail -> Jsonb,
    }
}

diesel::table! {
    console_sessions (user_id, id) {
        user_id -> Uuid,
        id -> Uuid,
        token_hash -> Bytea,
        user_agent -> Text,
        created_at -> Timestamptz,
        last_seen_at -> Timestamptz,
        expires_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::Xid8;

    events (project_id, id) {
        project_id -> Uuid,
        id -> Int8,
        position -> Nullable<Int8>,
        xid -> Xid8,
        #[sql_name = "type"]
        type_ -> Text,
        survey_id -> Nullable<Uuid>,
        response_id -> Nullable<Uuid>,
        occurred_at -> Timestamptz,
        data -> Nullable<Jsonb>,
    }
}

diesel::table! {
    invitations (project_id, id) {
        project_id -> Uuid,
        id -> Uuid,
        token_hash -> Bytea,
        role -> Text,
        email -> Text,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        accepted_at -> Nullable<Timestamptz>,
        accepted_by -> Nullable<Uuid>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    memberships (project_id, user_id) {
        project_id -> Uuid,
        user_id -> Uuid,
        role -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    password_resets (user_id, id) {
        user_id -> Uuid,
        id -> Uuid,
        token_hash -> Bytea,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    project_feeds (project_id) {
        project_id -> Uuid,
        last_position -> Int8,
    }
}

diesel::table! {
    projects (id) {
        id -> Uuid,
        name -> Text,
        allowed_origins -> Array<Text>,
        retention_days -> Nullable<Int4>,
        ip_policy -> Text,
        indexed_attributes -> Array<Text>,
        rate_limits -> Nullable<Jsonb>,
        created_at -> Timestamptz,
        fatigue -> Jsonb,
        time_zone -> Text,
    }
}

diesel::table! {
    report_links (project_id, id) {
        project_id -> Uuid,
        id -> Uuid,
        survey_id -> Uuid,
        token_hash -> Bytea,
        label -> Nullable<Text>,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    respondent_contacts (project_id, survey_id, respondent_id) {
        project_id -> Uuid,
        survey_id -> Uuid,
        respondent_id -> Text,
        last_shown_at -> Nullable<Timestamptz>,
        last_answered_at -> Nullable<Timestamptz>,
        last_dismissed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::Tsvector;

    responses (project_id, id) {
        project_id -> Uuid,
        id -> Uuid,
        survey_id -> Uuid,
        survey_version -> Int4,
        respondent_id -> Nullable<Text>,
        score -> Nullable<Int2>,
        comment -> Nullable<Text>,
        category -> Nullable<Text>,
        attributes -> Jsonb,
        context -> Jsonb,
        client_ip -> Nullable<Inet>,
        client_time -> Nullable<Timestamptz>,
        answered_at -> Timestamptz,
        received_at -> Timestamptz,
        updated_at -> Nullable<Timestamptz>,
        comment_tsv -> Nullable<Tsvector>,
        duplicate_of -> Nullable<Uuid>,
        late -> Bool,
        sentiment -> Nullable<Float4>,
        sentiment_language -> Nullable<Text>,
        answers -> Nullable<Jsonb>,
        themes -> Nullable<Array<Nullable<Text>>>,
    }
}

diesel::table! {
    rollup_seals (project_id, survey_id) {
        project_id -> Uuid,
        survey_id -> Uuid,
        sealed_before -> Timestamptz,
    }
}

diesel::table! {
    score_rollups (project_id, survey_id, dimension, value, bucket, score) {
        project_id -> Uuid,
        survey_id -> Uuid,
        dimension -> Text,
        value -> Text,
        bucket -> Timestamptz,
        score -> Int2,
        count -> Int8,
    }
}

diesel::table! {
    score_rollups_daily (project_id, survey_id, dimension, value, day, score) {
        project_id -> Uuid,
        survey_id -> Uuid,
        dimension -> Text,
        value -> Text,
        day -> Timestamptz,
        score -> Int2,
        count -> Int8,
    }
}

diesel::table! {
    score_rollups_monthly (project_id, survey_id, dimension, value, month, score) {
        project_id -> Uuid,
        survey_id -> Uuid,
        dimension -> Text,
        value -> Text,
        month -> Timestamptz,
        score -> Int2,
        count -> Int8,
    }
}

diesel::table! {
    score_rollups_quarter (project_id, survey_id, bucket, score) {
        project_id -> Uuid,
        survey_id -> Uuid,
        bucket -> Timestamptz,
        score -> Int2,
        count -> Int8,
    }
}

diesel::table! {
    survey_counters (project_id, survey_id) {
        project_id -> Uuid,
        survey_id -> Uuid,
        answers -> Int4,
    }
}

diesel::table! {
    survey_digests (project_id, survey_id, period, period_start) {
        project_id -> Uuid,
        survey_id -> Uuid,
        period -> Text,
        period_start -> Date,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    survey_impressions (project_id, id) {
        project_id -> Uuid,
        id -> Uuid,
        survey_id -> Uuid,
        respondent_id -> Nullable<Text>,
        session_id -> Nullable<Text>,
        shown_at -> Timestamptz,
        allowed -> Bool,
        reason -> Nullable<Text>,
    }
}

diesel::table! {
    surveys (project_id, id) {
        project_id -> Uuid,
        id -> Uuid,
        key -> Text,
        kind -> Text,
        question -> Text,
        scale_min -> Nullable<Int2>,
        scale_max -> Nullable<Int2>,
        presentation -> Jsonb,
        targeting -> Jsonb,
        status -> Text,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        opens_at -> Nullable<Timestamptz>,
        closes_at -> Nullable<Timestamptz>,
        response_limit -> Nullable<Int4>,
        closed_at -> Nullable<Timestamptz>,
        questions -> Jsonb,
    }
}

diesel::table! {
    themes (project_id, key) {
        project_id -> Uuid,
        key -> Text,
        label -> Text,
        renamed -> Bool,
        hidden -> Bool,
        pinned -> Bool,
        merged_into -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Nullable<Timestamptz>,
        search -> Nullable<Text>,
    }
}

diesel::table! {
    users (id) {
        id -> Uuid,
        email -> Text,
        name -> Text,
        password_hash -> Nullable<Text>,
        is_admin -> Bool,
        created_at -> Timestamptz,
        disabled_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    webhook_attempts (project_id, delivery_id, attempt) {
        project_id -> Uuid,
        delivery_id -> Uuid,
        attempt -> Int4,
        attempted_at -> Timestamptz,
        outcome -> Text,
        status -> Nullable<Int2>,
        latency_ms -> Int4,
        response -> Text,
    }
}

diesel::table! {
    webhook_deliveries (project_id, id) {
        project_id -> Uuid,
        id -> Uuid,
        endpoint_id -> Uuid,
        event_id -> Int8,
        state -> Text,
        attempts -> Int4,
        retry_base -> Int4,
        next_attempt_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        settled_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    webhook_endpoints (project_id, id) {
        project_id -> Uuid,
        id -> Uuid,
        url -> Text,
        description -> Text,
        format -> Text,
        event_types -> Array<Text>,
        survey_ids -> Nullable<Array<Uuid>>,
        condition -> Jsonb,
        enabled -> Bool,
        disabled_reason -> Nullable<Text>,
        secret -> Bytea,
        previous_secret -> Nullable<Bytea>,
        previous_secret_expires_at -> Nullable<Timestamptz>,
        failing_since -> Nullable<Timestamptz>,
        stream_position -> Int8,
        stream_lease_until -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(api_keys -> projects (project_id));
diesel::joinable!(attribute_backfills -> projects (project_id));
diesel::joinable!(audit_events -> projects (project_id));
diesel::joinable!(audit_events -> users (user_id));
diesel::joinable!(console_sessions -> users (user_id));
diesel::joinable!(invitations -> projects (project_id));
diesel::joinable!(memberships -> projects (project_id));
diesel::joinable!(memberships -> users (user_id));
diesel::joinable!(surveys -> projects (project_id));
diesel::joinable!(themes -> projects (project_id));
diesel::joinable!(webhook_endpoints -> projects (project_id));

diesel::allow_tables_to_appear_in_same_query!(
    api_keys,
    attribute_backfills,
    attribute_keys,
    audit_events,
    console_sessions,
    events,
    invitations,
    memberships,
    password_resets,
    project_feeds,
    projects,
    report_links,
    respondent_contacts,
    responses,
    rollup_seals,
    score_rollups,
    score_rollups_daily,
    score_rollups_monthly,
    score_rollups_quarter,
    survey_counters,
    survey_digests,
    survey_impressions,
    surveys,
    themes,
    users,
    webhook_attempts,
    webhook_deliveries,
    webhook_endpoints,
);
