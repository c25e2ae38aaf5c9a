//! Upgrading a database that already holds leads: the migration to compact lead keys (owner key, `seq`
//! tie-break; on SQLite a rebuild of the leads table) keeps every lead, its edit history, its search entry and
//! the grid's order, and leads written afterwards fit in.

use diesel::connection::SimpleConnection;
use diesel::Connection;
use diesel_migrations::MigrationHarness;
use leadgen_api_tests::*;
use leadgen_db::conn::{sqlite_path, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};
use leadgen_db::models::lead::{Lead, LeadEdit, LeadPatch, PageRequest, Sort};

/// How many migrations come before `2026-11-22-000007_lead_keys` (PostgreSQL has one more: 000006).
const BEFORE_LEAD_KEYS_SQLITE: usize = 5;
const BEFORE_LEAD_KEYS_POSTGRES: usize = 6;

/// Two users and their leads in the old shape (text owner id and text id in every index), written by hand.
const OLD_ROWS: &str = "
INSERT INTO users (id, username, username_key, password_hash, role, created_at, updated_at, password_changed_at)
VALUES ('user-a', 'anna', 'anna', 'x', 'user', '2026-01-01 00:00:00', '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
       ('user-b', 'ben', 'ben', 'x', 'user', '2026-01-01 00:00:00', '2026-01-01 00:00:00', '2026-01-01 00:00:00');
INSERT INTO leads (id, owner_id, username, biography, followers, email, created_at, updated_at, deleted_at)
VALUES ('lead-1', 'user-a', 'baeckerei.mueller', 'Sauerteig jeden Morgen', 1200, 'hallo@mueller.example', '2026-02-01 09:00:00', '2026-02-01 09:00:00', NULL),
       ('lead-2', 'user-a', 'cafe.sonne', 'Kaffee und Kuchen', 800, NULL, '2026-02-01 09:00:00', '2026-02-01 09:00:00', NULL),
       ('lead-3', 'user-a', 'alte.muehle', 'Sauerteig seit 1890', 50, NULL, '2026-02-02 09:00:00', '2026-02-02 09:00:00', '2026-02-03 09:00:00'),
       ('lead-4', 'user-b', 'baeckerei.mueller', 'Sauerteig bei Ben', 10, NULL, '2026-02-01 10:00:00', '2026-02-01 10:00:00', NULL);
INSERT INTO lead_edits (id, lead_id, owner_id, actor_id, batch_id, kind, changes, at)
VALUES ('edit-1', 'lead-1', 'user-a', 'user-a', 'batch-1', 'update', '{\"followers\":{\"from\":1000,\"to\":1200}}', '2026-02-01 09:30:00');
";

fn page(owner: &str, search: Option<&str>, sort: Option<&str>) -> PageRequest {
    PageRequest {
        owner_id: owner.into(),
        search: search.map(str::to_owned),
        filter: None,
        sort: Sort::parse(sort).unwrap(),
        limit: 100,
        cursor: None,
        offset: None,
        include_deleted: false,
    }
}

fn usernames(rows: &[Lead]) -> Vec<&str> {
    rows.iter().map(|l| l.username.as_str()).collect()
}

#[tokio::test]
async fn upgrading_to_compact_lead_keys_keeps_every_lead_its_history_and_search() {
    let dir = tempfile::tempdir().unwrap();
    let settings = test_settings(dir.path());
    match backend() {
        Backend::Sqlite => {
            let mut c =
                diesel::SqliteConnection::establish(sqlite_path(&settings.database_url)).unwrap();
            for _ in 0..BEFORE_LEAD_KEYS_SQLITE {
                c.run_next_migration(SQLITE_MIGRATIONS).unwrap();
            }
            c.batch_execute(OLD_ROWS).unwrap();
        }
        Backend::Postgres => {
            let mut c = diesel::PgConnection::establish(&settings.database_url).unwrap();
            for _ in 0..BEFORE_LEAD_KEYS_POSTGRES {
                c.run_next_migration(POSTGRES_MIGRATIONS).unwrap();
            }
            c.batch_execute(OLD_ROWS).unwrap();
        }
    }
    // The app runs the remaining migrations as it starts.
    let app = start(settings, dir).await;
    let mut conn = app.state.db.get().unwrap();
    let c = &mut *conn;

    let (rows, _) = Lead::rows(c, &page("user-a", None, None)).unwrap();
    assert_eq!(
        usernames(&rows),
        ["cafe.sonne", "baeckerei.mueller"],
        "anna's live leads, newest first; equal times keep their old order (later row first)"
    );
    let (rows, _) = Lead::rows(c, &page("user-a", Some("sauerteig"), None)).unwrap();
    assert_eq!(
        usernames(&rows),
        ["baeckerei.mueller"],
        "search still finds old leads"
    );
    assert_eq!(rows[0].email.as_deref(), Some("hallo@mueller.example"));
    let (rows, _) = Lead::rows(c, &page("user-b", Some("sauerteig"), None)).unwrap();
    assert_eq!(
        (usernames(&rows), rows[0].id.as_str()),
        (vec!["baeckerei.mueller"], "lead-4"),
        "each owner keeps their own leads"
    );
    let lead = Lead::find_owned(c, "user-a", "lead-1").unwrap().unwrap();
    let history = LeadEdit::history(c, &lead).unwrap();
    assert_eq!(history.len(), 1, "the edit history survives the rebuild");
    let deleted = Lead::find_owned(c, "user-a", "lead-3").unwrap().unwrap();
    assert!(
        deleted.deleted_at.is_some(),
        "soft-deleted leads stay restorable"
    );
    assert!(Lead::find_owned(c, "user-b", "lead-1").unwrap().is_none());

    // New leads after the upgrade: unique per owner still holds, and the new one sorts first.
    let patch = |u: &str| LeadPatch {
        username: Some(u.into()),
        ..Default::default()
    };
    let new = Lead::create(c, "user-a", Some("user-a"), patch("neue.baeckerei")).unwrap();
    assert!(Lead::create(c, "user-a", Some("user-a"), patch("cafe.sonne")).is_err());
    let (rows, _) = Lead::rows(c, &page("user-a", None, None)).unwrap();
    assert_eq!(
        usernames(&rows),
        ["neue.baeckerei", "cafe.sonne", "baeckerei.mueller"]
    );
    assert_eq!(rows[0].id, new.id);
    let (rows, _) = Lead::rows(c, &page("user-a", None, Some("followers:desc"))).unwrap();
    assert_eq!(
        usernames(&rows),
        ["baeckerei.mueller", "cafe.sonne", "neue.baeckerei"]
    );
}
