//! The provider clients against the provider sandbox over real HTTP: success paths, every fault's typed error,
//! retry count and wait, and the tolerated shapes. Each test starts its own sandbox.

mod common;

mod ai;
mod apify;
mod faults;
mod google;
mod instagram;
mod logs;
mod sidecar;
mod telegram;
mod transport;
