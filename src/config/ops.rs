//! What the server tells its operators: the shape of its log and the listener its Prometheus
//! metrics are served on.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

use super::Invalid;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `text` for people, `json` (one object a line) for log collectors.
    pub format: LogFormat,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Address of the listener that serves `GET /metrics` (`127.0.0.1:9100`); empty: none.
    pub listen: String,
}

impl MetricsConfig {
    /// The metrics listener's address; `None` when metrics are off.
    pub fn listen_addr(&self) -> Option<SocketAddr> {
        // validate() checked it.
        (!self.listen.is_empty()).then(|| self.listen.parse().expect("metrics.listen validated"))
    }

    pub(super) fn validate(&self, public: &str) -> Result<(), Invalid> {
        if self.listen.is_empty() {
            return Ok(());
        }
        let Ok(addr) = self.listen.parse::<SocketAddr>() else {
            return Err(Invalid::new(
                "metrics.listen",
                format!(
                    "metrics.listen = {:?} is not an address like 127.0.0.1:9100",
                    self.listen
                ),
            ));
        };
        // Metrics tell an attacker about traffic and failures: never on the public listener.
        let clashes = public.parse::<SocketAddr>().is_ok_and(|public| {
            addr.port() != 0
                && addr.port() == public.port()
                && (addr.ip() == public.ip()
                    || addr.ip().is_unspecified()
                    || public.ip().is_unspecified())
        });
        if clashes {
            return Err(Invalid::new(
                "metrics.listen",
                format!(
                    "metrics.listen = {:?} is the address of the public listener (listen); \
                     metrics need a port of their own",
                    self.listen
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(listen: &str) -> MetricsConfig {
        MetricsConfig {
            listen: listen.into(),
        }
    }

    #[test]
    fn metrics_are_off_by_default_and_need_a_port_of_their_own() {
        assert_eq!(MetricsConfig::default().listen_addr(), None);
        assert!(metrics("127.0.0.1:9100").validate("127.0.0.1:8080").is_ok());
        for clash in ["127.0.0.1:8080", "0.0.0.0:8080"] {
            let error = metrics(clash).validate("127.0.0.1:8080").unwrap_err();
            assert_eq!(error.key, "metrics.listen");
            assert!(error.message.contains("public listener"), "{error:?}");
        }
        let error = metrics("localhost").validate("127.0.0.1:8080").unwrap_err();
        assert!(error.message.contains("not an address"), "{error:?}");
    }
}
