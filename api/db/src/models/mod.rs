//! Each model with its queries: one "local" impl (plain methods) and one "database" impl per type.

pub mod account_member;
pub mod audit;
pub mod auth_tokens;
pub mod challenge;
pub mod dnc;
pub mod draft;
pub mod effect;
pub mod hashtag;
pub mod ig_account;
pub mod import;
pub mod job;
pub mod lead;
pub mod lead_span;
pub mod login;
pub mod mailbox;
pub mod oauth_state;
pub mod processing_session;
pub mod product;
pub mod provider_setting;
pub mod seed;
pub mod session;
pub mod session_item;
pub mod setting;
pub mod summary;
pub mod user;
pub mod view;
