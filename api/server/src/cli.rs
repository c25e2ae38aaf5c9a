//! `leadgen serve | migrate | admin …`.

use crate::app::{bootstrap, init_telemetry, Application};
use crate::identity::flow::{pending_totp_slot, totp_slot};
use crate::identity::password;
use clap::{Parser, Subcommand};
use leadgen_core::config::{Backend, Settings};
use leadgen_core::crypto::{random_key_b64, KeyRing};
use leadgen_core::secrets::{Secrets, SecretsFile};
use leadgen_db::models::audit::{AuditEntry, NewAudit};
use leadgen_db::models::mailbox::Mailbox;
use leadgen_db::models::provider_setting::ProviderSetting;
use leadgen_db::models::user::{Role, User};
use leadgen_db::{write_tx, Db};

#[derive(Parser)]
#[command(
    name = "leadgen",
    version,
    about = "Instagram lead generation and outreach"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the API and the web app (runs pending migrations first).
    Serve {
        /// Demo mode: start the provider sandbox inside this process on a free loopback port and point every
        /// provider at it, so no real request leaves the machine (the web app shows a banner).
        #[arg(long)]
        sandbox: bool,
        /// The sandbox's data seed (with --sandbox).
        #[arg(long, default_value_t = 1, requires = "sandbox")]
        sandbox_seed: u64,
    },
    /// Run job workers only (scale-out next to `serve` on PostgreSQL), with `/health` and `/metrics` on
    /// LEADGEN_WORKER_BIND.
    Worker {
        /// Queues to work, comma-separated (default: all).
        #[arg(long, value_delimiter = ',')]
        queues: Vec<String>,
        /// Jobs of the default queue at once (default: LEADGEN_JOBS_CONCURRENCY).
        #[arg(long)]
        concurrency: Option<usize>,
    },
    /// Run pending database migrations and exit.
    Migrate,
    /// Operator tasks that work offline, next to the database.
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Create a user; prints a temporary password unless --password-env names a variable holding one.
    CreateUser {
        #[arg(long)]
        username: String,
        #[arg(long, default_value = "user", value_parser = ["admin", "user", "viewer"])]
        role: String,
        #[arg(long)]
        email: Option<String>,
        /// Name of an environment variable that holds the password (keeps it out of the shell history).
        #[arg(long)]
        password_env: Option<String>,
    },
    /// Give a user a temporary password (printed once); they must change it at sign-in.
    ResetPassword {
        #[arg(long)]
        username: String,
    },
    /// Turn off a user's 2FA (they set it up again at their next sign-in when it is required).
    #[command(name = "reset-2fa", alias = "reset2fa")]
    Reset2fa {
        #[arg(long)]
        username: String,
    },
    /// Re-encrypt every encrypted column to the active data key. With --generate (file-kept secrets only), first
    /// add a new key and make it active.
    RotateKeys {
        #[arg(long)]
        generate: bool,
    },
    /// Print a fresh set of secrets as environment lines (for PostgreSQL deployments).
    GenerateSecrets,
    /// Fill a user's workspace with realistic demo leads (deterministic for a given --seed).
    SeedLeads {
        #[arg(long)]
        username: String,
        #[arg(long, default_value_t = 1000)]
        count: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load()?;
    init_telemetry(&settings);
    match cli.command {
        Command::Serve {
            sandbox,
            sandbox_seed,
        } => serve(settings, sandbox.then_some(sandbox_seed)),
        Command::Worker {
            queues,
            concurrency,
        } => crate::jobs::worker::run(settings, queues, concurrency),
        Command::Migrate => {
            let db = Db::connect(&settings.database_url, settings.backend()?, 1)?;
            drop(db);
            println!("migrations are up to date");
            Ok(())
        }
        Command::Admin(cmd) => admin(settings, cmd),
    }
}

fn serve(mut settings: Settings, sandbox_seed: Option<u64>) -> anyhow::Result<()> {
    // The sandbox runs on its own thread and runtime for as long as `_sim` lives (the whole serve).
    let _sim = match sandbox_seed {
        Some(seed) => {
            let sim = provider_sim::spawn_at("127.0.0.1:0", seed)?;
            point_at_sandbox(&mut settings, &sim.base_url());
            // The sandbox answers at once: the real providers' rate limits would only slow the demo down.
            if settings.provider_rate_per_second == 0 {
                settings.provider_rate_per_second = SANDBOX_RATE_PER_SECOND;
            }
            tracing::warn!(
                sandbox = %sim.base_url(),
                "sandbox mode: every provider points at the built-in provider sandbox; no real requests are made"
            );
            Some(sim)
        }
        None => None,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let app = Application::build_with(settings, sandbox_seed.is_some()).await?;
        tracing::info!(port = app.port(), "leadgen is listening");
        let jobs = app.state().jobs.clone();
        // The server stops on SIGINT/SIGTERM; then running jobs get time to reach a checkpoint.
        app.run_until_stopped().await?;
        jobs.shutdown(crate::jobs::SHUTDOWN_GRACE).await;
        Ok(())
    })
}

/// Provider calls per second under `serve --sandbox` unless `LEADGEN_PROVIDER_RATE_PER_SECOND` says otherwise.
pub const SANDBOX_RATE_PER_SECOND: u32 = 1000;

/// Points every provider base URL at the sandbox at `base` (`http://HOST:PORT`).
pub fn point_at_sandbox(settings: &mut Settings, base: &str) {
    let at = |prefix: &str| format!("{base}/{prefix}");
    settings.instagram_www_base_url = at("instagram-www");
    settings.instagram_api_base_url = at("instagram-api");
    settings.instagram_graph_base_url = at("instagram-graph");
    settings.apify_base_url = at("apify");
    settings.perplexity_base_url = at("perplexity");
    settings.openai_base_url = at("openai");
    settings.google_accounts_base_url = at("google-accounts");
    settings.google_oauth_base_url = at("google-oauth");
    settings.gmail_base_url = at("gmail");
    settings.sidecar_base_url = Some(at("sidecar"));
    settings.telegram_base_url = at("telegram");
}

fn open(settings: &Settings) -> anyhow::Result<Db> {
    let db = Db::connect(&settings.database_url, settings.backend()?, 2)?;
    let mut conn = db.get().map_err(|e| anyhow::anyhow!("{e:?}"))?;
    bootstrap(&mut conn, settings.bcrypt_cost)?;
    Ok(db)
}

fn api(e: leadgen_core::ApiError) -> anyhow::Error {
    anyhow::anyhow!("{}", e.message)
}

fn find_user(conn: &mut leadgen_db::DbConn, username: &str) -> anyhow::Result<User> {
    User::find_by_username(conn, username)
        .map_err(api)?
        .ok_or_else(|| anyhow::anyhow!("no user named {username:?}"))
}

fn cli_audit(action: &'static str, user: &User) -> NewAudit {
    NewAudit::new(action)
        .actor("cli", "cli")
        .target("user", Some(&user.id), Some(&user.username))
}

pub fn admin(settings: Settings, cmd: AdminCommand) -> anyhow::Result<()> {
    match cmd {
        AdminCommand::GenerateSecrets => {
            let f = SecretsFile::generate();
            println!("LEADGEN_SESSION_KEY={}", f.session_key.unwrap_or_default());
            println!("LEADGEN_JWT_SECRET={}", f.jwt_secret.unwrap_or_default());
            println!("LEADGEN_HASH_KEY={}", f.hash_key.unwrap_or_default());
            println!("LEADGEN_DATA_KEYS={}", f.data_keys.unwrap_or_default());
            println!(
                "LEADGEN_DATA_KEY_ACTIVE={}",
                f.data_key_active.unwrap_or_default()
            );
            Ok(())
        }
        AdminCommand::CreateUser {
            username,
            role,
            email,
            password_env,
        } => {
            let db = open(&settings)?;
            let mut conn = db.get().map_err(api)?;
            let role = Role::parse(&role).ok_or_else(|| anyhow::anyhow!("unknown role"))?;
            crate::identity::dto::validate_username(&username)
                .map_err(|e| anyhow::anyhow!("username: {}", e.message.unwrap_or_default()))?;
            let (pw, temporary) = match password_env {
                Some(var) => {
                    let pw = std::env::var(&var)
                        .map_err(|_| anyhow::anyhow!("environment variable {var} is not set"))?;
                    let broken = leadgen_core::password::check(&pw, &username);
                    if let Some(r) = broken.first() {
                        anyhow::bail!("password: {}", r.message);
                    }
                    (pw, false)
                }
                None => (password::temporary(), true),
            };
            let hash = password::hash_blocking(&pw, settings.bcrypt_cost)?;
            let user = write_tx(&mut conn, |c| {
                let u = User::create(c, &username, email.as_deref(), &hash, role, temporary)?;
                AuditEntry::insert(c, &cli_audit("user.created", &u))?;
                Ok(u)
            })
            .map_err(api)?;
            println!("created {} ({})", user.username, role.as_str());
            if temporary {
                println!("temporary password (must be changed at first sign-in): {pw}");
            }
            Ok(())
        }
        AdminCommand::ResetPassword { username } => {
            let db = open(&settings)?;
            let mut conn = db.get().map_err(api)?;
            let user = find_user(&mut conn, &username)?;
            let temporary = password::temporary();
            let hash = password::hash_blocking(&temporary, settings.bcrypt_cost)?;
            write_tx(&mut conn, |c| {
                User::set_password(c, &user.id, &hash, true)?;
                leadgen_db::models::login::LoginThrottle::clear(c, &user.username_key)?;
                AuditEntry::insert(c, &cli_audit("password.reset", &user))
            })
            .map_err(api)?;
            println!(
                "temporary password for {} (must be changed at sign-in): {temporary}",
                user.username
            );
            Ok(())
        }
        AdminCommand::Reset2fa { username } => {
            let db = open(&settings)?;
            let mut conn = db.get().map_err(api)?;
            let user = find_user(&mut conn, &username)?;
            write_tx(&mut conn, |c| {
                User::reset_totp(c, &user.id)?;
                AuditEntry::insert(c, &cli_audit("totp.reset", &user))
            })
            .map_err(api)?;
            println!("2FA is off for {}", user.username);
            Ok(())
        }
        AdminCommand::RotateKeys { generate } => rotate_keys(settings, generate),
        AdminCommand::SeedLeads {
            username,
            count,
            seed,
        } => {
            let db = open(&settings)?;
            let mut conn = db.get().map_err(api)?;
            let user = find_user(&mut conn, &username)?;
            let started = std::time::Instant::now();
            leadgen_db::conn::bulk_mode(&mut conn, true).map_err(|e| api(e.into()))?;
            let n = leadgen_db::models::seed::seed_leads(
                &mut conn,
                &user.id,
                count,
                seed,
                leadgen_db::now(),
            )
            .map_err(api)?;
            println!(
                "seeded {n} leads for {} in {:.1} s",
                user.username,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
    }
}

fn rotate_keys(settings: Settings, generate: bool) -> anyhow::Result<()> {
    if generate {
        if settings.data_keys.is_some() || settings.backend()? == Backend::Postgres {
            anyhow::bail!("--generate only works with secrets kept in the data directory; add a key to LEADGEN_DATA_KEYS and set LEADGEN_DATA_KEY_ACTIVE instead");
        }
        Secrets::resolve(&settings)?; // makes sure the file exists
        let path = SecretsFile::path(&settings.data_dir);
        let mut file = SecretsFile::read(&path)?
            .ok_or_else(|| anyhow::anyhow!("{} is missing", path.display()))?;
        let existing = KeyRing::parse_keys(file.data_keys.as_deref().unwrap_or_default())?;
        let mut n = existing.len() + 1;
        while existing.iter().any(|(id, _)| *id == format!("k{n}")) {
            n += 1;
        }
        let id = format!("k{n}");
        let keys = file.data_keys.take().unwrap_or_default();
        file.data_keys = Some(
            format!("{id}:{},{keys}", random_key_b64())
                .trim_end_matches(',')
                .to_owned(),
        );
        file.data_key_active = Some(id.clone());
        file.write(&path)?;
        println!("added data key {id} and made it active");
    }
    let secrets = Secrets::resolve(&settings)?;
    let ring = &secrets.keyring;
    let db = open(&settings)?;
    let mut conn = db.get().map_err(api)?;
    let rewritten = write_tx(&mut conn, |c| {
        let mut n = 0usize;
        for (id, column, blob) in User::encrypted_columns(c)? {
            let slot = match column {
                "totp_secret_enc" => totp_slot(&id),
                _ => pending_totp_slot(&id),
            };
            if let Some(new) = ring
                .reencrypt(&blob, slot)
                .map_err(leadgen_core::ApiError::internal)?
            {
                User::store_ciphertext(c, &id, column, &new)?;
                n += 1;
            }
        }
        for (id, blob) in ProviderSetting::encrypted(c)? {
            if let Some(new) = ring
                .reencrypt(&blob, ProviderSetting::slot(&id))
                .map_err(leadgen_core::ApiError::internal)?
            {
                ProviderSetting::replace_ciphertext(c, &id, &new)?;
                n += 1;
            }
        }
        for (id, column, blob) in leadgen_db::models::ig_account::IgAccount::encrypted(c)? {
            let slot = leadgen_db::models::ig_account::IgAccount::slot(&id, column);
            if let Some(new) = ring
                .reencrypt(&blob, slot)
                .map_err(leadgen_core::ApiError::internal)?
            {
                leadgen_db::models::ig_account::IgAccount::replace_ciphertext(
                    c, &id, column, &new,
                )?;
                n += 1;
            }
        }
        for (id, blob) in Mailbox::encrypted(c)? {
            if let Some(new) = ring
                .reencrypt(&blob, Mailbox::slot(&id))
                .map_err(leadgen_core::ApiError::internal)?
            {
                Mailbox::replace_ciphertext(c, &id, &new)?;
                n += 1;
            }
        }
        AuditEntry::insert(
            c,
            &NewAudit::new("keys.rotated")
                .actor("cli", "cli")
                .details(serde_json::json!({ "active": ring.active_id(), "rewritten": n })),
        )?;
        Ok(n)
    })
    .map_err(api)?;
    println!(
        "re-encrypted {rewritten} value(s) to key {}",
        ring.active_id()
    );
    Ok(())
}
