//! One connection type for both backends (diesel's MultiConnection), an r2d2 manager that picks the backend from
//! the URL scheme, the embedded migrations, and `Db`: the pool plus a way to run blocking work off the async threads.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use leadgen_core::config::Backend;
use leadgen_core::{ApiError, ApiResult, ErrorCode};
use std::time::Duration;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

impl DbConn {
    pub fn backend(&self) -> Backend {
        match self {
            DbConn::Postgresql(_) => Backend::Postgres,
            DbConn::Sqlite(_) => Backend::Sqlite,
        }
    }
}

/// The file path inside a `sqlite://` URL.
pub fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

#[derive(Debug, Clone)]
pub struct Manager {
    url: String,
    backend: Backend,
}

impl Manager {
    pub fn new(url: &str, backend: Backend) -> Self {
        Manager {
            url: url.to_owned(),
            backend,
        }
    }
}

impl diesel::r2d2::ManageConnection for Manager {
    type Connection = DbConn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConn, Self::Error> {
        match self.backend {
            Backend::Sqlite => {
                let mut c = diesel::SqliteConnection::establish(sqlite_path(&self.url))
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                c.batch_execute("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -8192;")
                    .map_err(diesel::r2d2::Error::QueryError)?;
                crate::collation::register(&mut c).map_err(diesel::r2d2::Error::QueryError)?;
                Ok(DbConn::Sqlite(c))
            }
            Backend::Postgres => diesel::PgConnection::establish(&self.url)
                .map(DbConn::Postgresql)
                .map_err(diesel::r2d2::Error::ConnectionError),
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), Self::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut DbConn) -> bool {
        false
    }
}

/// Sets a connection up for a bulk write (imports, the demo generator), or back to the defaults.
/// SQLite: a large page cache (96 MB) and fewer, larger WAL checkpoints (every 8,192 pages instead of 1,000; a page
/// written by several batches is copied back once); random inserts into big indexes otherwise spill and re-read
/// pages all the time. PostgreSQL: new search-index entries go to the GIN pending list until it holds 256 MB and
/// are merged in bulk (imports merge it from a second connection as they go, on the other core; the demo
/// generator's VACUUM empties it), instead of one index update per row; and commits do not wait for the log to
/// reach the disk (a crash of the machine can lose the last commits, with the progress recorded in them, so a
/// resumed import writes those rows again; 1M-row import: 28,700 and 27,000 rows/s waiting, 29,400 and 29,200
/// not).
pub fn bulk_mode(conn: &mut DbConn, on: bool) -> diesel::QueryResult<()> {
    conn.batch_execute(match (conn.backend(), on) {
        (Backend::Sqlite, true) => "PRAGMA cache_size = -98304; PRAGMA wal_autocheckpoint = 8192;",
        (Backend::Sqlite, false) => "PRAGMA cache_size = -8192; PRAGMA wal_autocheckpoint = 1000;",
        (Backend::Postgres, true) => {
            "SET gin_pending_list_limit = '256MB'; SET synchronous_commit = off;"
        }
        (Backend::Postgres, false) => "RESET gin_pending_list_limit; RESET synchronous_commit;",
    })
}

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConn = r2d2::PooledConnection<Manager>;

/// The database: a pool and the backend it talks to.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    backend: Backend,
}

impl Db {
    /// Opens the pool (creating the SQLite file's folder), turns on WAL for SQLite and runs pending migrations.
    pub fn connect(url: &str, backend: Backend, pool_size: u32) -> anyhow::Result<Db> {
        if backend == Backend::Sqlite {
            let path = std::path::Path::new(sqlite_path(url));
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
        }
        let pool = r2d2::Pool::builder()
            .max_size(pool_size)
            .connection_timeout(Duration::from_secs(10))
            .build(Manager::new(url, backend))?;
        let db = Db { pool, backend };
        db.migrate()?;
        Ok(db)
    }

    pub fn migrate(&self) -> anyhow::Result<()> {
        let mut conn = self.pool.get()?;
        let applied = match &mut *conn {
            DbConn::Sqlite(c) => {
                // 16 KB pages for a new database (no effect on an existing one): index keys here hold text
                // (usernames, emails), and bigger pages split less often under bulk inserts (1M-row import
                // floor: 47,000 rows/s at 16 KB, 38,000 at 8 KB, 31,000 at 4 KB).
                c.batch_execute("PRAGMA page_size = 16384; PRAGMA journal_mode = WAL;")?;
                c.run_pending_migrations(SQLITE_MIGRATIONS)
                    .map_err(|e| anyhow::anyhow!(e))?
                    .len()
            }
            DbConn::Postgresql(c) => c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map_err(|e| anyhow::anyhow!(e))?
                .len(),
        };
        if applied > 0 {
            tracing::info!(applied, "database migrations applied");
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// A connection for blocking code (CLI, tests). Inside the server use [`Db::run`].
    pub fn get(&self) -> ApiResult<PooledConn> {
        self.pool
            .get()
            .map_err(|e| ApiError::new(ErrorCode::Unavailable).with_cause(e))
    }

    /// Runs blocking database work on tokio's blocking pool, never on the async executor threads.
    pub async fn run<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&mut DbConn) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool
                .get()
                .map_err(|e| ApiError::new(ErrorCode::Unavailable).with_cause(e))?;
            f(&mut conn)
        })
        .await
        .map_err(ApiError::internal)?
    }
}

/// A write transaction. On SQLite it starts with `BEGIN IMMEDIATE`, so concurrent writers queue on the busy
/// timeout instead of failing when a read lock would have to be upgraded. Do not nest.
pub fn write_tx<T, F>(conn: &mut DbConn, f: F) -> ApiResult<T>
where
    F: FnOnce(&mut DbConn) -> ApiResult<T>,
{
    match conn.backend() {
        Backend::Postgres => conn.transaction(f),
        Backend::Sqlite => {
            conn.batch_execute("BEGIN IMMEDIATE")?;
            match f(conn) {
                Ok(v) => {
                    conn.batch_execute("COMMIT")?;
                    Ok(v)
                }
                Err(e) => {
                    if let Err(rb) = conn.batch_execute("ROLLBACK") {
                        tracing::error!(error = %rb, "rollback failed");
                    }
                    Err(e)
                }
            }
        }
    }
}
