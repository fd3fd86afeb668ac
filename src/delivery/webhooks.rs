//! The webhook worker: takes events from the webhook outbox one at a time, signs them as the
//! Standard Webhooks specification says (`webhook-id`, `webhook-timestamp`,
//! `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`) and POSTs them to
//! their receiver, outside any request. A receiver that answers 5xx, 408 or 429, or does not
//! answer in time, is retried with backoff; any other answer but 2xx dead-letters the event.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::{CONTENT_TYPE, USER_AGENT};
use hyper::{Request, StatusCode};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use sha2::Sha256;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{drain_until_stopped, retry_delay};
use crate::config::{WebhookConfig, WebhookDeliveryConfig};
use crate::core::{Core, later, meters, now};
use crate::store::{Outcome, QueuedWebhook, StoreError};

/// How often the outbox is read when nothing wakes the worker.
const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// A running worker; [`WebhookDelivery::stop`] ends it.
pub struct WebhookDelivery {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
    grace: Duration,
}

impl WebhookDelivery {
    /// Starts a worker for `core`'s webhook outbox, if any receiver is configured.
    pub fn start(
        core: Arc<Core>,
        hooks: &[WebhookConfig],
        delivery: &WebhookDeliveryConfig,
    ) -> Result<Option<Self>, String> {
        if hooks.is_empty() {
            return Ok(None);
        }
        // Mozilla's root certificates, as for SMTP; ring, as everywhere latch speaks TLS.
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
            .map_err(|e| format!("cannot set up TLS for webhook delivery: {e}"))?
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(TokioExecutor::new()).build(connector);
        let worker = Worker {
            core,
            client,
            keys: hooks.iter().map(|h| (h.url.clone(), h.key())).collect(),
            id: uuid::Uuid::new_v4().to_string(),
            config: delivery.clone(),
        };
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(worker.run(stopped));
        Ok(Some(Self {
            stop,
            task,
            grace: delivery.timeout.saturating_add(Duration::from_secs(1)),
        }))
    }

    /// Lets an event being sent finish (within the timeout), then ends the worker.
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
    /// Follows no redirect: a receiver that moved must be configured at its new URL.
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    /// Each receiver's signing key, by URL.
    keys: HashMap<String, Vec<u8>>,
    id: String,
    config: WebhookDeliveryConfig,
}

/// How one attempt ended.
enum Attempt {
    Delivered,
    Retry(String),
    Dead(String),
}

/// The signature header's value for `body` sent as message `id` at `timestamp`.
pub fn signature(key: &[u8], id: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

impl Worker {
    async fn run(self, stopped: watch::Receiver<bool>) {
        let signal = self.core.webhook_signal();
        let outbox = "the webhook outbox";
        drain_until_stopped(signal, POLL_INTERVAL, stopped, outbox, || {
            self.deliver_next()
        })
        .await;
    }

    /// Delivers the next due event, if any; returns whether there was one.
    async fn deliver_next(&self) -> Result<bool, StoreError> {
        let store = self.core.store();
        let claim_until = later(now(), self.config.timeout + Duration::from_secs(5));
        let Some(event) = store.claim_webhook(&self.id, now(), claim_until).await? else {
            return Ok(false);
        };
        let attempt = self.send(&event).await;
        let attempts = event.attempts.max(1) as u64;
        let (outcome, error) = match attempt {
            Attempt::Delivered => {
                meters::webhook_delivery("delivered");
                (Outcome::Delivered { logged: false }, None)
            }
            Attempt::Retry(e) if attempts < u64::from(self.config.max_attempts) => {
                meters::webhook_delivery("failed");
                let delay = retry_delay(self.config.first_retry, attempts);
                tracing::warn!(
                    id = event.id, event = %event.event, url = %event.url, attempt = attempts,
                    error = %e, "webhook delivery failed; retrying in {} ms", delay.as_millis()
                );
                // Whole seconds in the outbox: a sub-second delay rounds up to the next one.
                let at =
                    now() + i64::try_from(delay.as_millis().div_ceil(1000)).unwrap_or(i64::MAX);
                (Outcome::RetryAt(at), Some(e))
            }
            Attempt::Retry(e) | Attempt::Dead(e) => {
                meters::webhook_delivery("dead");
                tracing::error!(
                    id = event.id, event = %event.event, url = %event.url, attempt = attempts,
                    error = %e,
                    "webhook delivery failed for good; the event is dead-lettered: fix the \
                     receiver, then `latch webhook retry {}`", event.id
                );
                (Outcome::Dead, Some(e))
            }
        };
        let held = store
            .finish_webhook(event.id, &self.id, outcome, error.as_deref(), now())
            .await?;
        if !held {
            tracing::warn!(
                id = event.id,
                "the claim on this webhook event lapsed before its delivery ended"
            );
        }
        Ok(true)
    }

    async fn send(&self, event: &QueuedWebhook) -> Attempt {
        let Some(key) = self.keys.get(&event.url) else {
            return Attempt::Dead("no [[webhooks]] receiver has this URL any more".to_string());
        };
        let timestamp = now();
        let request = Request::post(event.url.as_str())
            .header(CONTENT_TYPE, "application/json")
            .header(
                USER_AGENT,
                concat!("latch/", env!("CARGO_PKG_VERSION"), " (webhooks)"),
            )
            .header("webhook-id", &event.message_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header(
                "webhook-signature",
                signature(key, &event.message_id, timestamp, &event.payload),
            )
            .body(Full::new(Bytes::from(event.payload.clone())));
        let request = match request {
            Ok(request) => request,
            Err(e) => return Attempt::Dead(format!("the URL cannot be requested: {e}")),
        };
        let answer = tokio::time::timeout(self.config.timeout, async {
            let response = self.client.request(request).await?;
            let status = response.status();
            // Read (and drop) the body, so the connection can serve the next event.
            let _ = response.into_body().collect().await;
            Ok::<_, hyper_util::client::legacy::Error>(status)
        })
        .await;
        match answer {
            Ok(Ok(status)) if status.is_success() => Attempt::Delivered,
            Ok(Ok(status))
                if status.is_server_error()
                    || status == StatusCode::REQUEST_TIMEOUT
                    || status == StatusCode::TOO_MANY_REQUESTS =>
            {
                Attempt::Retry(format!("the receiver answered {status}"))
            }
            Ok(Ok(status)) => Attempt::Dead(format!(
                "the receiver answered {status}, which is not retried (only 5xx, 408 and 429 \
                 are; redirects are not followed)"
            )),
            Ok(Err(e)) => Attempt::Retry(format!("cannot reach the receiver: {e}")),
            Err(_) => Attempt::Retry(format!(
                "no answer within {} ms",
                self.config.timeout.as_millis()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_standard_webhooks_one() {
        // The example of the Standard Webhooks specification.
        let key = STANDARD.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            signature(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }
}
