//! The HTTP suite. Every test starts the real app on a random port with a fresh database; the backend is chosen
//! by `LEADGEN_TEST_BACKEND` (sqlite by default, or postgres), and `.ci/run` runs the suite on both.

mod accounts;
mod admin;
mod bulk;
mod contract;
mod drafts;
mod import;
mod jobs;
mod lead_queries;
mod leads;
mod lists;
mod login;
mod mailboxes;
mod parity;
mod prompts;
mod providers;
mod secrets;
mod security;
mod sessions;
mod tokens;
mod upgrade;
mod workspace;
