//! The plain types and pure functions that both the store and the core speak: an account and
//! its state, a stored session, a queued letter, and the forms a name is kept and compared in.
//!
//! The top-level modules are layers, lowest first: `config`, `domain`, `store`, `core`,
//! `delivery` and `import`, `http`, `cli`; a module uses only the layers below its own
//! (`tests/architecture.rs` checks it). `domain` sits under both `store` and `core` so the
//! store can read and write the core's values without knowing the core. It holds data and the
//! rules that data cannot be without (what makes two names one, the key a mail address is
//! unique under), and no policy, I/O or clock: what the services decide (who may register,
//! what a valid name is, when a session expires) stays in `core`, which re-exports these types
//! where its callers look for them.

pub mod accounts;
pub mod mail;
pub mod names;
pub mod sessions;
