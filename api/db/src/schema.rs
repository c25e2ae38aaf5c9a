//! Hand-kept diesel schema, portable types only (Text ids, Timestamp in UTC, Binary ciphertext, JSON as Text).

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        username_key -> Text,
        email -> Nullable<Text>,
        password_hash -> Text,
        role -> Text,
        active -> Bool,
        must_change_password -> Bool,
        totp_enabled -> Bool,
        totp_secret_enc -> Nullable<Binary>,
        totp_pending_secret_enc -> Nullable<Binary>,
        totp_last_step -> Nullable<BigInt>,
        token_version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        password_changed_at -> Timestamp,
        last_login_at -> Nullable<Timestamp>,
        /// A small integer per user: the owner key at the head of the leads' indexes.
        seq -> BigInt,
    }
}

diesel::table! {
    login_throttle (username_key) {
        username_key -> Text,
        failures -> Integer,
        lockouts -> Integer,
        locked_until -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    login_challenges (id) {
        id -> Text,
        user_id -> Text,
        token_hash -> Text,
        stage -> Text,
        attempts -> Integer,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        consumed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    backup_codes (id) {
        id -> Text,
        user_id -> Text,
        code_hash -> Text,
        created_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        binding_hash -> Nullable<Text>,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Text,
        csrf_hash -> Text,
        token_version -> BigInt,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        user_id -> Text,
        family_id -> Text,
        token_hash -> Text,
        token_version -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Text,
        user_id -> Text,
        name -> Text,
        scope -> Text,
        token_hash -> Text,
        prefix -> Text,
        token_version -> BigInt,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        at -> Timestamp,
        action -> Text,
        outcome -> Text,
        actor_id -> Nullable<Text>,
        actor_username -> Nullable<Text>,
        target_type -> Nullable<Text>,
        target_id -> Nullable<Text>,
        target_label -> Nullable<Text>,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        details -> Nullable<Text>,
    }
}

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Text,
        updated_at -> Timestamp,
        updated_by -> Nullable<Text>,
    }
}

diesel::table! {
    /// SQLite only: a per-connection staging table (no indexes, no triggers) that bulk loads fill row by row and
    /// then move into `leads` with one INSERT … SELECT (see `Lead::stage_sqlite`).
    temp.lead_stage (id) {
        id -> Text,
        seq -> BigInt,
        owner_id -> Text,
        username -> Text,
        full_name -> Nullable<Text>,
        biography -> Nullable<Text>,
        followers -> Nullable<BigInt>,
        following -> Nullable<BigInt>,
        posts -> Nullable<BigInt>,
        is_business -> Bool,
        business_category -> Nullable<Text>,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        website -> Nullable<Text>,
        source_hashtag -> Nullable<Text>,
        status -> Text,
        tags -> Text,
        notes -> Nullable<Text>,
        email_subject -> Nullable<Text>,
        email_body -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
        owner_key -> BigInt,
    }
}

diesel::joinable!(login_challenges -> users (user_id));
diesel::joinable!(backup_codes -> users (user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(api_tokens -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    login_throttle,
    login_challenges,
    backup_codes,
    sessions,
    refresh_tokens,
    api_tokens,
    audit_log,
    settings,
);

diesel::table! {
    products (id) {
        id -> Text,
        owner_id -> Text,
        name -> Text,
        description -> Nullable<Text>,
        variables -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    leads (id) {
        id -> Text,
        owner_id -> Text,
        username -> Text,
        full_name -> Nullable<Text>,
        biography -> Nullable<Text>,
        followers -> Nullable<BigInt>,
        following -> Nullable<BigInt>,
        posts -> Nullable<BigInt>,
        is_business -> Bool,
        business_category -> Nullable<Text>,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        website -> Nullable<Text>,
        source_hashtag -> Nullable<Text>,
        product_id -> Nullable<Text>,
        status -> Text,
        tags -> Text,
        notes -> Nullable<Text>,
        email_subject -> Nullable<Text>,
        email_body -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        enriched_at -> Nullable<Timestamp>,
        contacted_at -> Nullable<Timestamp>,
        deleted_at -> Nullable<Timestamp>,
        version -> BigInt,
        /// The grid's tie-break (SQLite: the rowid; PostgreSQL: an identity column).
        seq -> BigInt,
        /// The owner's `users.seq`: every lead index starts with it.
        owner_key -> BigInt,
        /// JSON text `[{"url","title"}]`: where a contact search found the lead's contact data.
        contact_sources -> Nullable<Text>,
    }
}

diesel::table! {
    lead_edits (id) {
        id -> Text,
        lead_id -> Text,
        owner_id -> Text,
        actor_id -> Nullable<Text>,
        batch_id -> Text,
        kind -> Text,
        changes -> Text,
        at -> Timestamp,
        undone_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    import_chunks (import_id, first_row) {
        import_id -> Text,
        first_row -> BigInt,
        last_row -> BigInt,
    }
}

diesel::table! {
    lead_spans (id) {
        id -> Text,
        owner_id -> Text,
        owner_key -> BigInt,
        actor_id -> Nullable<Text>,
        batch_id -> Text,
        kind -> Text,
        first_seq -> BigInt,
        last_seq -> BigInt,
        at -> Timestamp,
        undone_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    system_prompts (id) {
        id -> Text,
        owner_id -> Text,
        product_id -> Nullable<Text>,
        name -> Text,
        current_version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    system_prompt_versions (id) {
        id -> Text,
        prompt_id -> Text,
        version -> Integer,
        body -> Text,
        created_at -> Timestamp,
        created_by -> Nullable<Text>,
    }
}

diesel::table! {
    hashtag_pairs (id) {
        id -> Text,
        owner_id -> Text,
        hashtag -> Text,
        username -> Text,
        found_at -> Timestamp,
    }
}

diesel::table! {
    do_not_contact (id) {
        id -> Text,
        owner_id -> Text,
        kind -> Text,
        value -> Text,
        reason -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    saved_views (id) {
        id -> Text,
        owner_id -> Text,
        name -> Text,
        state -> Text,
        is_default -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(leads -> products (product_id));
diesel::joinable!(lead_edits -> leads (lead_id));
diesel::joinable!(system_prompt_versions -> system_prompts (prompt_id));

diesel::allow_tables_to_appear_in_same_query!(
    products,
    leads,
    lead_edits,
    lead_spans,
    import_chunks,
    system_prompts,
    system_prompt_versions,
    hashtag_pairs,
    do_not_contact,
    saved_views,
);

diesel::table! {
    imports (id) {
        id -> Text,
        owner_id -> Text,
        filename -> Text,
        status -> Text,
        size_bytes -> BigInt,
        total_rows -> BigInt,
        processed -> BigInt,
        inserted -> BigInt,
        updated -> BigInt,
        skipped -> BigInt,
        failed -> BigInt,
        options -> Nullable<Text>,
        errors -> Text,
        created_at -> Timestamp,
        started_at -> Nullable<Timestamp>,
        finished_at -> Nullable<Timestamp>,
        /// When the uploaded file was removed (the import ended, or it was not run within a day).
        file_removed_at -> Nullable<Timestamp>,
        skips -> Text,
    }
}

// Lead queries name their owner by key through a subquery on users (`lead::owned_by`).
diesel::allow_tables_to_appear_in_same_query!(users, leads);

diesel::table! {
    provider_settings (id) {
        id -> Text,
        provider -> Text,
        field -> Text,
        user_id -> Nullable<Text>,
        value -> Nullable<Text>,
        value_enc -> Nullable<Binary>,
        hint -> Nullable<Text>,
        updated_at -> Timestamp,
        updated_by -> Nullable<Text>,
    }
}

diesel::table! {
    jobs (id) {
        id -> Text,
        kind -> Text,
        queue -> Text,
        args -> Text,
        owner_id -> Nullable<Text>,
        priority -> Integer,
        state -> Text,
        run_at -> Timestamp,
        attempt -> Integer,
        max_attempts -> Integer,
        token -> BigInt,
        locked_until -> Nullable<Timestamp>,
        locked_by -> Nullable<Text>,
        unique_key -> Nullable<Text>,
        progress -> Nullable<Text>,
        last_error -> Nullable<Text>,
        cancel_requested -> Bool,
        created_at -> Timestamp,
        attempted_at -> Nullable<Timestamp>,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    provider_calls (id) {
        id -> Text,
        at -> Timestamp,
        provider -> Text,
        operation -> Text,
        user_id -> Nullable<Text>,
        status -> Text,
        duration_ms -> BigInt,
        units -> BigInt,
        unit -> Nullable<Text>,
    }
}

diesel::table! {
    effects (key) {
        key -> Text,
        job_id -> Nullable<Text>,
        kind -> Text,
        result -> Nullable<Text>,
        done_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(users, jobs);

diesel::table! {
    mailboxes (id) {
        id -> Text,
        user_id -> Text,
        address -> Text,
        address_key -> Text,
        status -> Text,
        refresh_token_enc -> Binary,
        scopes -> Text,
        connected_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    oauth_states (id) {
        id -> Text,
        state_hash -> Text,
        user_id -> Nullable<Text>,
        purpose -> Text,
        redirect_uri -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        binding_hash -> Nullable<Text>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(users, provider_calls);

diesel::table! {
    ig_accounts (id) {
        id -> Text,
        ig_user_id -> Nullable<Text>,
        ig_pk -> Nullable<Text>,
        username -> Text,
        username_key -> Text,
        full_name -> Nullable<Text>,
        profile_picture_url -> Nullable<Text>,
        biography -> Nullable<Text>,
        followers_count -> Nullable<BigInt>,
        follows_count -> Nullable<BigInt>,
        media_count -> Nullable<BigInt>,
        account_type -> Nullable<Text>,
        last_synced_at -> Nullable<Timestamp>,
        token_enc -> Nullable<Binary>,
        token_scopes -> Nullable<Text>,
        token_obtained_at -> Nullable<Timestamp>,
        token_expires_at -> Nullable<Timestamp>,
        needs_reconnect -> Bool,
        notice -> Nullable<Text>,
        password_enc -> Nullable<Binary>,
        totp_seed_enc -> Nullable<Binary>,
        session_enc -> Nullable<Binary>,
        device_enc -> Nullable<Binary>,
        proxy_enc -> Nullable<Binary>,
        proxy_display -> Nullable<Text>,
        session_status -> Text,
        session_started_at -> Nullable<Timestamp>,
        session_checked_at -> Nullable<Timestamp>,
        last_challenge_at -> Nullable<Timestamp>,
        last_error_code -> Nullable<Text>,
        last_error -> Nullable<Text>,
        last_error_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    account_members (id) {
        id -> Text,
        account_id -> Text,
        user_id -> Text,
        role -> Text,
        is_primary -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    challenges (id) {
        id -> Text,
        account_id -> Text,
        user_id -> Text,
        kind -> Text,
        prompt -> Text,
        status -> Text,
        error -> Nullable<Text>,
        created_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(account_members -> ig_accounts (account_id));
diesel::joinable!(account_members -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(ig_accounts, account_members, users);

diesel::table! {
    drafts (id) {
        id -> Text,
        owner_id -> Text,
        lead_id -> Text,
        product_id -> Text,
        /// The processing session that wrote it (no foreign key; null outside a session).
        session_id -> Nullable<Text>,
        prompt_id -> Nullable<Text>,
        prompt_version -> Nullable<Integer>,
        model -> Text,
        language -> Text,
        subject -> Text,
        body -> Text,
        status -> Text,
        instruction -> Nullable<Text>,
        prompt_tokens -> BigInt,
        completion_tokens -> BigInt,
        cost_usd -> Double,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(drafts -> leads (lead_id));
diesel::joinable!(drafts -> products (product_id));
diesel::allow_tables_to_appear_in_same_query!(drafts, leads);
diesel::allow_tables_to_appear_in_same_query!(drafts, products);
diesel::allow_tables_to_appear_in_same_query!(drafts, do_not_contact);

diesel::table! {
    /// Lead-pipeline runs (`browser sessions` are `sessions`).
    processing_sessions (id) {
        id -> Text,
        owner_id -> Text,
        name -> Text,
        status -> Text,
        hashtags -> Text,
        stages -> Text,
        product_id -> Nullable<Text>,
        options -> Text,
        lead_ids -> Nullable<Text>,
        current_stage -> Nullable<Text>,
        counts -> Text,
        cost_micro_usd -> BigInt,
        batches -> BigInt,
        pause_until -> Nullable<Timestamp>,
        pause_seconds -> Nullable<BigInt>,
        related_hashtags -> Text,
        summary -> Nullable<Text>,
        last_error -> Nullable<Text>,
        job_id -> Nullable<Text>,
        created_at -> Timestamp,
        started_at -> Nullable<Timestamp>,
        finished_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    session_items (id) {
        id -> Text,
        session_id -> Text,
        stage -> Text,
        key -> Text,
        seq -> BigInt,
        status -> Text,
        attempts -> Integer,
        error -> Nullable<Text>,
        outcome -> Nullable<Text>,
        lead_id -> Nullable<Text>,
        result -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    session_log (id) {
        id -> Text,
        session_id -> Text,
        at -> Timestamp,
        level -> Text,
        stage -> Nullable<Text>,
        message -> Text,
    }
}

diesel::joinable!(session_items -> processing_sessions (session_id));
diesel::joinable!(session_log -> processing_sessions (session_id));
diesel::allow_tables_to_appear_in_same_query!(processing_sessions, session_items, session_log);
diesel::allow_tables_to_appear_in_same_query!(processing_sessions, products);
