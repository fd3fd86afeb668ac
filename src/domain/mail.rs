//! A letter as the outbox holds it until the delivery worker sends it.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    /// A visitor registered and may log in.
    Welcome,
    /// A visitor registered and waits for approval.
    PendingApproval,
    /// Tells the administrators an account waits for approval.
    PendingApprovalAdmin,
    /// An administrator created the account.
    AdminCreated,
    /// An administrator approved or unblocked the account.
    Activated,
    PasswordReset,
}

impl MailKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::Welcome => "register_no_approval_required",
            MailKind::PendingApproval => "register_pending_approval",
            MailKind::PendingApprovalAdmin => "register_pending_approval_admin",
            MailKind::AdminCreated => "register_admin_created",
            MailKind::Activated => "status_activated",
            MailKind::PasswordReset => "password_reset",
        }
    }
}

#[derive(Debug, Clone)]
pub struct OutgoingMail {
    pub kind: MailKind,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    /// The HTML alternative, where the kind's template has one.
    pub html: Option<String>,
    pub account_id: Option<i64>,
}
