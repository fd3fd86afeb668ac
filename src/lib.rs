//! latch: a self-hosted login and session server that speaks the session dialects clients
//! already use.
#![forbid(unsafe_code)]

pub mod cli;
pub mod config;
pub mod core;
pub mod delivery;
pub mod domain;
pub mod http;
pub mod import;
pub mod store;
