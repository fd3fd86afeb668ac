//! `latch audit`: the newest security events, optionally of one account or one kind.

use anyhow::bail;

use super::timestamp;
use crate::config::Config;
use crate::core::{AuditEvent, Core};
use crate::store::AuditFilter;

/// The options of `latch audit`.
#[derive(clap::Args)]
pub struct AuditArgs {
    /// Only events of this account name (also names that failed logins tried).
    #[arg(long, value_name = "NAME")]
    account: Option<String>,
    /// Only events of this kind: login, login_failed, logout, register, password_change,
    /// password_reset_request, password_reset, flood_block, csrf_reject, token_create,
    /// token_revoke, session_revoke, account_block, account_activate, roles_change,
    /// mail_retry, legacy_migrate or secret_rotate.
    #[arg(long = "type", value_name = "TYPE")]
    kind: Option<String>,
    /// How many events to show.
    #[arg(long, default_value_t = 50)]
    limit: u32,
}

pub async fn run(args: AuditArgs, config: Config) -> anyhow::Result<()> {
    if let Some(kind) = &args.kind
        && AuditEvent::parse(kind).is_none()
    {
        let known: Vec<_> = AuditEvent::ALL.iter().map(|e| e.as_str()).collect();
        bail!(
            "unknown event type {kind:?}: use one of {}",
            known.join(", ")
        );
    }
    let core = Core::open(&config).await?.core;
    let filter = AuditFilter {
        account: args.account,
        kind: args.kind,
        limit: i64::from(args.limit),
        ..Default::default()
    };
    let events = core.audit_events(&filter).await;
    core.store().close().await;
    println!(
        "{:<20} {:<22} {:>6} {:<24} {:<16} {:<39} {:<30} DETAIL",
        "TIME", "TYPE", "COUNT", "ACCOUNT", "BY", "CLIENT IP", "USER AGENT"
    );
    for event in events? {
        let account = match (&event.account_name, event.account_id) {
            (Some(name), Some(id)) => format!("{name} ({id})"),
            (Some(name), None) => name.clone(),
            (None, _) => "-".into(),
        };
        let user_agent: String = event
            .user_agent
            .as_deref()
            .unwrap_or("-")
            .chars()
            .take(30)
            .collect();
        // A summary row says until when it counted.
        let detail = match event.last_at {
            Some(last) if event.repeats > 1 => format!(
                "{} (last {})",
                event.detail.as_deref().unwrap_or(""),
                timestamp(last)
            ),
            _ => event.detail.clone().unwrap_or_default(),
        };
        println!(
            "{:<20} {:<22} {:>6} {:<24} {:<16} {:<39} {:<30} {}",
            timestamp(event.created_at),
            event.kind,
            event.repeats,
            account,
            event.actor.as_deref().unwrap_or("-"),
            event.client_ip.as_deref().unwrap_or("-"),
            user_agent,
            detail,
        );
    }
    Ok(())
}
