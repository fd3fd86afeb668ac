//! The delivery worker: takes messages from the outbox one at a time and hands them to the
//! transport, outside any request. Each node runs one; a claim in the database keeps two
//! workers from sending the same message, and a claim that lapses (its worker died mid-send)
//! lets another worker take the message.

mod legacy;
mod tls;
mod transport;
mod webhooks;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::config::MailConfig;
use crate::core::{Core, later, now};
use crate::store::{Outcome, StoreError};
pub use legacy::LegacySite;
pub use tls::parameters as tls_parameters;
pub use transport::{Failure, Transport};
pub use webhooks::{WebhookDelivery, signature as webhook_signature};

/// Longest wait between retries of one message.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(6 * 3600);

/// A running worker; [`Delivery::stop`] ends it.
pub struct Delivery {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
    grace: Duration,
    running: WorkerRunning,
}

/// Whether a worker is still running: false once it has ended, stopped or panicked.
#[derive(Clone, Debug)]
pub struct WorkerRunning(Arc<AtomicBool>);

impl WorkerRunning {
    pub fn get(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Clears the flag when the worker's task ends, however it ends.
struct ClearOnDrop(Arc<AtomicBool>);

impl Drop for ClearOnDrop {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Relaxed);
    }
}

impl Delivery {
    /// Starts a worker for `core`'s outbox.
    pub fn start(core: Arc<Core>, config: &MailConfig) -> Result<Self, String> {
        let worker = Worker {
            core,
            transport: Transport::new(config)?,
            id: uuid::Uuid::new_v4().to_string(),
            config: config.clone(),
        };
        let (stop, stopped) = watch::channel(false);
        let running = Arc::new(AtomicBool::new(true));
        let guard = ClearOnDrop(running.clone());
        let task = tokio::spawn(async move {
            let _guard = guard;
            worker.run(stopped).await
        });
        Ok(Self {
            stop,
            task,
            grace: config.smtp.timeout.saturating_add(Duration::from_secs(1)),
            running: WorkerRunning(running),
        })
    }

    /// A view of whether this worker still runs, for readiness checks.
    pub fn running(&self) -> WorkerRunning {
        self.running.clone()
    }

    /// Lets a message being sent finish (within the SMTP timeout), then ends the worker.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let abort = self.task.abort_handle();
        if tokio::time::timeout(self.grace, self.task).await.is_err() {
            abort.abort();
        }
    }
}

struct Worker {
    core: Arc<Core>,
    transport: Transport,
    id: String,
    config: MailConfig,
}

impl Worker {
    async fn run(self, stopped: watch::Receiver<bool>) {
        tracing::debug!(worker = %self.id, "mail delivery worker started");
        let (signal, poll) = (self.core.mail_signal(), self.config.poll_interval);
        drain_until_stopped(signal, poll, stopped, "the mail outbox", || {
            self.deliver_next()
        })
        .await;
    }

    /// Delivers the next due message, if any; returns whether there was one.
    async fn deliver_next(&self) -> Result<bool, StoreError> {
        let store = self.core.store();
        let now = now();
        let claim_until = later(now, self.config.claim_timeout);
        let Some(mail) = store.claim_mail(&self.id, now, claim_until).await? else {
            return Ok(false);
        };
        let result = self.transport.deliver(&mail).await;
        let now = crate::core::now();
        let attempts = mail.attempts.max(1) as u64;
        let (outcome, error) = match result {
            Ok(logged) => {
                if !logged {
                    tracing::info!(id = mail.id, kind = %mail.kind, to = %mail.recipient, "mail sent");
                }
                crate::core::meters::mail_delivery(if logged { "logged" } else { "sent" });
                (Outcome::Delivered { logged }, None)
            }
            Err(Failure::Temporary(e)) if attempts < u64::from(self.config.max_attempts) => {
                let delay = retry_delay(self.config.retry_delay, attempts);
                tracing::warn!(
                    id = mail.id, attempt = attempts, error = %e,
                    "mail delivery failed; retrying in {} s", delay.as_secs()
                );
                crate::core::meters::mail_delivery("failed");
                (Outcome::RetryAt(later(now, delay)), Some(e))
            }
            Err(Failure::Temporary(e) | Failure::Permanent(e)) => {
                tracing::error!(
                    id = mail.id, attempt = attempts, error = %e,
                    "mail delivery failed for good; the message is dead-lettered: fix the cause, \
                     then `latch mail retry {}`", mail.id
                );
                crate::core::meters::mail_delivery("dead");
                (Outcome::Dead, Some(e))
            }
        };
        let held = store
            .finish_mail(mail.id, &self.id, outcome, error.as_deref(), now)
            .await?;
        if !held {
            tracing::warn!(
                id = mail.id,
                "the claim on this message lapsed before its delivery ended (raise \
                 mail.claim_timeout above the SMTP server's response time)"
            );
        }
        Ok(true)
    }
}

/// Runs `deliver_next` until it finds nothing due, then waits for `signal`, `poll` or the
/// stop, and again, until stopped. A worker's loop, for mail and webhook events alike.
async fn drain_until_stopped<F, Fut>(
    signal: Arc<Notify>,
    poll: Duration,
    mut stopped: watch::Receiver<bool>,
    outbox: &str,
    mut deliver_next: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<bool, StoreError>>,
{
    loop {
        loop {
            if *stopped.borrow() {
                return;
            }
            match deliver_next().await {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read {outbox}; will try again");
                    break;
                }
            }
        }
        tokio::select! {
            _ = signal.notified() => {}
            _ = tokio::time::sleep(poll) => {}
            _ = stopped.changed() => return,
        }
    }
}

/// The wait before retry number `attempts`: `base`, doubling each time, at most six hours.
fn retry_delay(base: Duration, attempts: u64) -> Duration {
    let doubling = 1u32 << (attempts.saturating_sub(1)).min(20);
    base.saturating_mul(doubling).min(MAX_RETRY_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_up_to_a_cap() {
        let minute = Duration::from_secs(60);
        assert_eq!(retry_delay(minute, 1), minute);
        assert_eq!(retry_delay(minute, 2), 2 * minute);
        assert_eq!(retry_delay(minute, 4), 8 * minute);
        assert_eq!(retry_delay(minute, 40), MAX_RETRY_DELAY);
    }
}
