//! The leadgen server: actix-web API, SPA hosting and the operator CLI.

pub mod accounts;
pub mod app;
pub mod audit;
pub mod challenges;
pub mod cli;
pub mod drafts;
pub mod extract;
pub mod identity;
pub mod jobs;
pub mod leads;
pub mod openapi;
pub mod ops;
pub mod prompts;
pub mod providers;
pub mod security;
pub mod sessions;
pub mod spa;
pub mod state;
pub mod telemetry;
