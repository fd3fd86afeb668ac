//! A session as the store keeps it: never the id itself, only its hash.

/// A session row as stored.
#[derive(Debug, Clone)]
pub struct StoredSession {
    pub id_hash: String,
    pub csrf_seed: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    /// The interface the session was opened through (a dialect's name); none if unrecorded.
    pub dialect: Option<String>,
}
