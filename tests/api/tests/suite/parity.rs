//! Every table written and read back through the models on the backend under test: the portable types (text ids,
//! microsecond UTC timestamps, booleans, binary ciphertext, nulls, JSON as text) survive the round trip.

use leadgen_api_tests::*;
use leadgen_db::models::audit::{AuditEntry, AuditFilter, NewAudit};
use leadgen_db::models::auth_tokens::{ApiToken, NewApiToken, RefreshOutcome, RefreshToken};
use leadgen_db::models::login::{LockoutPolicy, LoginChallenge, LoginThrottle, Stage};
use leadgen_db::models::session::{NewSession, Session};
use leadgen_db::models::setting::Setting;
use leadgen_db::models::user::{BackupCode, Role, User};
use serde_json::json;

#[tokio::test]
async fn every_table_round_trips() {
    let app = spawn_app().await;
    let mut c = app.state.db.get().unwrap();
    let c = &mut *c;

    let u = User::create(
        c,
        "Ünïcødé.user",
        Some("u@example.com"),
        "$2b$04$hash",
        Role::Viewer,
        true,
    )
    .unwrap();
    let back = User::get(c, &u.id).unwrap();
    assert_eq!(
        (back.username.as_str(), back.username_key.as_str()),
        ("Ünïcødé.user", "ünïcødé.user")
    );
    assert_eq!(
        (
            back.role(),
            back.must_change_password,
            back.totp_enabled,
            back.active
        ),
        (Role::Viewer, true, false, true)
    );
    assert_eq!(
        back.created_at, u.created_at,
        "timestamps keep microseconds"
    );
    let blob: Vec<u8> = (0u8..=255).collect();
    User::enable_totp(c, &u.id, &blob, 1_234_567_890_123).unwrap();
    let back = User::get(c, &u.id).unwrap();
    assert_eq!(
        back.totp_secret_enc.as_deref(),
        Some(blob.as_slice()),
        "binary survives byte for byte"
    );
    assert_eq!(
        back.totp_last_step,
        Some(1_234_567_890_123),
        "64-bit integers survive"
    );
    assert!(
        User::find_by_username(c, "ÜNÏCØDÉ.USER").unwrap().is_some(),
        "names match case-insensitively"
    );

    BackupCode::replace_all(c, &u.id, &["h1".into(), "h2".into()]).unwrap();
    assert!(BackupCode::consume(c, &u.id, "h1").unwrap());
    assert_eq!(BackupCode::remaining(c, &u.id).unwrap(), 1);

    let policy = LockoutPolicy {
        threshold: 2,
        base_secs: 30,
        max_secs: 60,
    };
    let first = LoginThrottle::record_failure(c, "k", policy).unwrap();
    assert_eq!((first.locked_for, first.left), (None, 1));
    let second = LoginThrottle::record_failure(c, "k", policy).unwrap();
    assert_eq!((second.locked_for, second.left), (Some(30), 2));
    assert!(LoginThrottle::locked_for(c, "k").unwrap().unwrap() <= 30);

    let ch = LoginChallenge::create(c, &u.id, "th", Stage::Totp, 60).unwrap();
    assert!(LoginChallenge::find_live(c, "th", Stage::Totp, 5)
        .unwrap()
        .is_some());
    assert!(LoginChallenge::find_live(c, "th", Stage::TotpSetup, 5)
        .unwrap()
        .is_none());
    assert_eq!(LoginChallenge::record_attempt(c, &ch.id).unwrap(), 1);
    assert!(LoginChallenge::consume(c, &ch.id).unwrap());
    assert!(!LoginChallenge::consume(c, &ch.id).unwrap());

    Session::create(
        c,
        NewSession {
            id: "s1",
            user_id: &u.id,
            csrf_hash: "c",
            token_version: 1,
            ttl: chrono::Duration::hours(1),
            ip: Some("::1"),
            user_agent: None,
        },
    )
    .unwrap();
    let s = Session::find(c, "s1").unwrap().unwrap();
    assert_eq!(
        (s.ip.as_deref(), s.user_agent.as_deref()),
        (Some("::1"), None)
    );
    assert!(s.is_live(chrono::Duration::minutes(5)));

    RefreshToken::create(c, &u.id, "fam", "rh", 1, chrono::Duration::days(1)).unwrap();
    assert!(matches!(
        RefreshToken::spend(c, "rh").unwrap(),
        RefreshOutcome::Rotated(_)
    ));
    assert!(matches!(
        RefreshToken::spend(c, "rh").unwrap(),
        RefreshOutcome::Reused { .. }
    ));

    let t = ApiToken::create(
        c,
        NewApiToken {
            user_id: &u.id,
            name: "n",
            scope: "read",
            token_hash: "ah",
            prefix: "lg_pat_x",
            token_version: 1,
            expires_at: None,
        },
    )
    .unwrap();
    assert_eq!(ApiToken::find_by_hash(c, "ah").unwrap().unwrap().id, t.id);

    AuditEntry::insert(
        c,
        &NewAudit::new("user.created")
            .actor(&u.id, "X")
            .details(json!({"ümlaut": "ä", "n": 1})),
    )
    .unwrap();
    let (rows, total) = AuditEntry::list(
        c,
        &AuditFilter {
            action: Some("user.created".into()),
            limit: 10,
            ..AuditFilter::default()
        },
    )
    .unwrap();
    assert_eq!(total, 1);
    assert_eq!(rows[0].actor_username.as_deref(), Some("x"));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(rows[0].details.as_deref().unwrap()).unwrap(),
        json!({"ümlaut": "ä", "n": 1})
    );

    Setting::set(c, "k", &json!({"a": [1, 2]}), Some(&u.id)).unwrap();
    Setting::set(c, "k", &json!(false), None).unwrap();
    assert_eq!(Setting::get(c, "k").unwrap(), Some(json!(false)));

    // Deleting the user cascades to everything that hangs off it (foreign keys are on, on SQLite too).
    User::delete(c, &u.id).unwrap();
    assert!(Session::find(c, "s1").unwrap().is_none());
    assert!(ApiToken::find_by_hash(c, "ah").unwrap().is_none());
}

/// Mailboxes (binary ciphertext, nullable timestamp) and OAuth states (claimed once) on the backend under test.
#[tokio::test]
async fn mailboxes_and_oauth_states_round_trip() {
    use leadgen_db::models::mailbox::{ConnectedMailbox, Mailbox, OAuthState, StateRefusal};
    let app = spawn_app().await;
    let mut c = app.state.db.get().unwrap();
    let c = &mut *c;
    let u = User::create(c, "maila", None, "$2b$04$hash", Role::User, false).unwrap();
    let at = leadgen_db::now();
    let blob: Vec<u8> = (0u8..=255).rev().collect();
    let m = Mailbox::upsert(
        c,
        &ConnectedMailbox {
            id: "mb-1",
            user_id: &u.id,
            address: "Maila@Example.com",
            refresh_token_enc: &blob,
            scopes: "a b",
            at,
        },
    )
    .unwrap();
    assert_eq!(
        (m.refresh_token_enc.clone(), m.connected_at, m.last_used_at),
        (blob.clone(), at, None)
    );
    assert_eq!(m.address_key, "maila@example.com");
    assert_eq!(
        Mailbox::id_for_address(c, &u.id, "MAILA@example.com")
            .unwrap()
            .as_deref(),
        Some("mb-1")
    );
    Mailbox::touch(c, "mb-1", at).unwrap();
    assert_eq!(Mailbox::list(c, &u.id).unwrap()[0].last_used_at, Some(at));
    assert!(Mailbox::find_owned(c, "someone-else", "mb-1")
        .unwrap()
        .is_none());

    OAuthState::create(
        c,
        "hash-1",
        &u.id,
        "gmail",
        "http://x/cb",
        at,
        at + chrono::Duration::minutes(10),
    )
    .unwrap();
    let claimed = OAuthState::claim(c, "hash-1", "gmail", at)
        .unwrap()
        .unwrap();
    assert_eq!(
        (claimed.user_id.as_deref(), claimed.used_at),
        (Some(u.id.as_str()), Some(at))
    );
    assert_eq!(
        OAuthState::claim(c, "hash-1", "gmail", at)
            .unwrap()
            .unwrap_err(),
        StateRefusal::Used
    );
    assert_eq!(
        OAuthState::claim(c, "hash-1", "other", at)
            .unwrap()
            .unwrap_err(),
        StateRefusal::Unknown
    );
    OAuthState::create(
        c,
        "hash-2",
        &u.id,
        "gmail",
        "http://x/cb",
        at,
        at + chrono::Duration::minutes(10),
    )
    .unwrap();
    let late = at + chrono::Duration::minutes(10);
    assert_eq!(
        OAuthState::claim(c, "hash-2", "gmail", late)
            .unwrap()
            .unwrap_err(),
        StateRefusal::Expired
    );
    assert!(Mailbox::delete_owned(c, &u.id, "mb-1").unwrap());
}

/// Instagram accounts (nullable ids, binary secrets, big counts), members (one owner, one primary), challenges,
/// and an OAuth state without a user (a sign-in), on the backend under test.
#[tokio::test]
async fn instagram_accounts_members_challenges_and_signin_states_round_trip() {
    use leadgen_db::models::account_member::{AccountMember, ROLE_OWNER, ROLE_VIEWER};
    use leadgen_db::models::challenge::{Challenge, KIND_TWO_FACTOR, STATUS_RESOLVED};
    use leadgen_db::models::ig_account::{IgAccount, OfficialToken, ProfileUpdate};
    use leadgen_db::models::oauth_state::{NewOAuthState, OAuthState};
    let app = spawn_app().await;
    let mut c = app.state.db.get().unwrap();
    let c = &mut *c;
    let u = User::create(c, "iga", None, "$2b$04$hash", Role::User, false).unwrap();
    let v = User::create(c, "igb", None, "$2b$04$hash", Role::User, false).unwrap();
    let at = leadgen_db::now();
    let a = IgAccount::create(c, "acct-1", "@Some.Name", at).unwrap();
    assert_eq!(
        (a.username.as_str(), a.username_key.as_str()),
        ("Some.Name", "some.name")
    );
    assert_eq!(
        (
            a.ig_user_id.clone(),
            a.session_status.as_str(),
            a.needs_reconnect
        ),
        (None, "none", false)
    );
    let blob: Vec<u8> = (0u8..=255).collect();
    IgAccount::set_token(
        c,
        "acct-1",
        &OfficialToken {
            token_enc: &blob,
            scopes: "a,b",
            obtained_at: at,
            expires_at: at + chrono::Duration::days(60),
        },
    )
    .unwrap();
    IgAccount::set_ig_user_id(c, "acct-1", "17841400000000001").unwrap();
    IgAccount::set_profile(
        c,
        "acct-1",
        &ProfileUpdate {
            username: "some.name".into(),
            followers_count: Some(3_000_000_000),
            ..ProfileUpdate::default()
        },
        at,
    )
    .unwrap();
    IgAccount::set_session(c, "acct-1", &blob[..10], Some(&blob[10..]), at).unwrap();
    let back = IgAccount::get(c, "acct-1").unwrap();
    assert_eq!(back.token_enc.as_deref(), Some(blob.as_slice()));
    assert_eq!(back.device_enc.as_deref(), Some(&blob[10..]));
    assert_eq!(
        (
            back.followers_count,
            back.token_obtained_at,
            back.session_status.as_str()
        ),
        (Some(3_000_000_000), Some(at), "valid")
    );
    assert_eq!(back.link_kinds(), vec!["official", "session"]);
    assert_eq!(
        IgAccount::find_by_ig_user_id(c, "17841400000000001")
            .unwrap()
            .unwrap()
            .id,
        "acct-1"
    );
    assert_eq!(
        IgAccount::tokens_due(c, at, at + chrono::Duration::days(61))
            .unwrap()
            .len(),
        1
    );
    assert!(
        IgAccount::tokens_due(c, at, at + chrono::Duration::days(10))
            .unwrap()
            .is_empty()
    );

    let owner = AccountMember::add(c, "acct-1", &u.id, ROLE_OWNER, at).unwrap();
    assert!(
        owner.is_primary,
        "a user's first account is their primary one"
    );
    AccountMember::add(c, "acct-1", &v.id, ROLE_VIEWER, at).unwrap();
    assert!(
        AccountMember::add(c, "acct-1", &v.id, ROLE_OWNER, at).is_err(),
        "one owner, one membership"
    );
    assert!(AccountMember::account_of(c, "acct-1", "stranger")
        .unwrap()
        .is_none());
    let members = AccountMember::list(c, "acct-1").unwrap();
    assert_eq!((members[0].username.as_str(), members.len()), ("iga", 2));
    assert_eq!(
        IgAccount::list_all(c).unwrap()[0].owner_username.as_deref(),
        Some("iga")
    );

    let ch = Challenge::open(c, "acct-1", &u.id, KIND_TWO_FACTOR, "code?", at).unwrap();
    assert_eq!(Challenge::list_open(c, &u.id).unwrap().len(), 1);
    assert!(Challenge::find_owned(c, &v.id, &ch.id).unwrap().is_none());
    assert!(Challenge::close(c, &ch.id, STATUS_RESOLVED, None, at).unwrap());
    assert!(
        !Challenge::close(c, &ch.id, STATUS_RESOLVED, None, at).unwrap(),
        "closed once"
    );
    assert_eq!(Challenge::get(c, &ch.id).unwrap().resolved_at, Some(at));

    OAuthState::create_bound(
        c,
        &NewOAuthState {
            state_hash: "sh-1",
            user_id: None,
            purpose: "instagram_signin",
            redirect_uri: "http://x/cb",
            binding_hash: "bh",
            now: at,
            expires_at: at + chrono::Duration::minutes(10),
        },
    )
    .unwrap();
    let s = OAuthState::claim_any(c, "sh-1", &["instagram_link", "instagram_signin"], at)
        .unwrap()
        .unwrap();
    assert_eq!(
        (s.user_id, s.binding_hash.as_deref(), s.purpose.as_str()),
        (None, Some("bh"), "instagram_signin")
    );

    // Deleting the account takes its members and challenges with it.
    assert!(IgAccount::delete(c, "acct-1").unwrap());
    assert!(AccountMember::find(c, "acct-1", &u.id).unwrap().is_none());
    assert!(Challenge::find_owned(c, &u.id, &ch.id).unwrap().is_none());
}

/// Drafts (a double, nullable text and integer, long unicode text) on the backend under test: one per owner, lead
/// and product, replaced in place; review counts; gone with their lead.
#[tokio::test]
async fn drafts_round_trip() {
    use leadgen_db::models::draft::{Draft, DraftFilter, NewDraft, APPROVED};
    use leadgen_db::models::lead::{Lead, LeadPatch};
    use leadgen_db::models::product::Product;
    let app = spawn_app().await;
    let mut c = app.state.db.get().unwrap();
    let c = &mut *c;
    let u = User::create(c, "drafta", None, "$2b$04$hash", Role::User, false).unwrap();
    let p = Product::create(c, &u.id, "Mätten", None, &[]).unwrap();
    let l = Lead::create(
        c,
        &u.id,
        None,
        LeadPatch {
            username: Some("anna".into()),
            email: Some(Some("anna@example.com".into())),
            ..LeadPatch::default()
        },
    )
    .unwrap();
    let body = format!("Hallo Anna,\n\n{}\n— Grüße 🌿", "ä".repeat(20_000));
    let new = NewDraft {
        owner_id: &u.id,
        lead_id: &l.id,
        product_id: &p.id,
        session_id: None,
        prompt_id: None,
        prompt_version: Some(3),
        model: "gpt-4o-mini",
        language: "German",
        subject: "Kooperation für Anna",
        body: &body,
        instruction: None,
        prompt_tokens: 1_234,
        completion_tokens: 5_678_901_234,
        cost_usd: 0.000_123_456_789,
    };
    let d = Draft::save(c, &new).unwrap();
    assert_eq!(
        (
            d.body.as_str(),
            d.cost_usd,
            d.completion_tokens,
            d.session_id.clone(),
            d.prompt_version,
            d.status.as_str()
        ),
        (
            body.as_str(),
            0.000_123_456_789,
            5_678_901_234,
            None,
            Some(3),
            "pending"
        )
    );
    assert_eq!(
        Draft::review_many(c, &u.id, std::slice::from_ref(&d.id), APPROVED).unwrap(),
        1
    );
    let again = Draft::save(
        c,
        &NewDraft {
            session_id: Some("sess"),
            subject: "Neu",
            ..new
        },
    )
    .unwrap();
    assert_eq!(
        (
            again.id.as_str(),
            again.subject.as_str(),
            again.status.as_str(),
            again.session_id.as_deref()
        ),
        (d.id.as_str(), "Neu", "pending", Some("sess")),
        "the same row, back to pending"
    );
    let (rows, total) = Draft::list(c, &u.id, &DraftFilter::default(), 10, 0).unwrap();
    assert_eq!(
        (
            total,
            rows[0].username.as_str(),
            rows[0].product_name.as_str()
        ),
        (1, "anna", "Mätten")
    );
    assert_eq!(Draft::count_pending(c, &u.id).unwrap(), 1);
    // Deleting the product deletes its drafts.
    Product::delete(c, &u.id, &p.id).unwrap();
    assert!(Draft::find_for(c, &u.id, &l.id, &p.id).unwrap().is_none());
}

/// Processing sessions, their items and log (JSON as text, micro-dollars, nullable timestamps, the partial unique
/// index of one active session per owner) on the backend under test.
#[tokio::test]
async fn processing_sessions_items_and_log_round_trip() {
    use leadgen_db::models::processing_session::{
        NewSession as NewRun, ProcessingSession, SessionLogEntry, DONE, QUEUED,
    };
    use leadgen_db::models::session_item::{ItemUpdate, SessionItem, PENDING};
    let app = spawn_app().await;
    let mut c = app.state.db.get().unwrap();
    let c = &mut *c;
    let u = User::create(c, "runner", None, "$2b$04$hash", Role::User, false).unwrap();
    let at = leadgen_db::now();
    let tags = vec!["yoga".to_owned(), "übung".to_owned()];
    let stages = vec!["crawl".to_owned(), "enrich".to_owned()];
    let new = NewRun {
        owner_id: &u.id,
        name: "#yoga, #übung",
        hashtags: &tags,
        stages: &stages,
        product_id: None,
        options: &json!({"posts_per_hashtag": 5}),
        lead_ids: None,
    };
    let s = ProcessingSession::create(c, &new, at).unwrap();
    assert_eq!(
        (
            s.status.as_str(),
            s.hashtag_list(),
            s.created_at,
            s.pause_until
        ),
        (QUEUED, tags.clone(), at, None)
    );
    // A second active session of the owner is refused.
    let e = ProcessingSession::create(c, &new, at).unwrap_err();
    assert_eq!(e.code, leadgen_core::ErrorCode::HeavyOperationRunning);
    ProcessingSession::add_cost(c, &s.id, 1_234_567, at).unwrap();
    let until = at + chrono::Duration::seconds(47);
    ProcessingSession::start(c, &s.id, at).unwrap();
    assert!(ProcessingSession::pause_if_running(c, &s.id, until, 47, at).unwrap());
    let back = ProcessingSession::get(c, &s.id).unwrap();
    assert_eq!(
        (back.cost_micro_usd, back.pause_until, back.pause_seconds),
        (1_234_567, Some(until), Some(47))
    );
    assert!((back.cost_usd() - 1.234567).abs() < 1e-9);

    let items = vec![
        ("anna".to_owned(), None),
        ("ben".to_owned(), Some("lead-1".to_owned())),
    ];
    SessionItem::ensure(c, &s.id, "enrich", &items, at).unwrap();
    SessionItem::ensure(c, &s.id, "enrich", &items, at).unwrap();
    let pending = SessionItem::pending(c, &s.id, "enrich", 10).unwrap();
    assert_eq!(pending.len(), 2);
    assert_eq!(pending[1].lead_id.as_deref(), Some("lead-1"));
    let u1 = ItemUpdate::done("added")
        .lead("lead-9")
        .result(json!({"k": "ü"}));
    SessionItem::update(c, &pending[0].id, &u1, at).unwrap();
    let got = SessionItem::find_key(c, &s.id, "enrich", "anna")
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            got.status.as_str(),
            got.outcome.as_deref(),
            got.lead_id.as_deref(),
            got.attempts,
            got.result.as_deref()
        ),
        (
            "done",
            Some("added"),
            Some("lead-9"),
            1,
            Some(r#"{"k":"ü"}"#)
        )
    );
    let t = SessionItem::tally(c, &s.id).unwrap();
    assert_eq!(
        (
            t.count("enrich", None, Some("added")),
            t.with_status(PENDING)
        ),
        (1, 1)
    );

    SessionLogEntry::add(c, &s.id, "info", Some("enrich"), "Batch 1: ✓", at).unwrap();
    let log = SessionLogEntry::recent(c, &s.id, 10).unwrap();
    assert_eq!((log[0].message.as_str(), log[0].at), ("Batch 1: ✓", at));
    assert!(ProcessingSession::finish(c, &s.id, DONE, "Done.", None, at).unwrap());
    // Ended: another session may start.
    ProcessingSession::create(c, &new, at).unwrap();
}
