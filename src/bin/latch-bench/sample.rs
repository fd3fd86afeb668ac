//! The requests the load cycles through, prepared over the real HTTP interface.

use anyhow::bail;

use crate::load::Req;
use crate::seed::{self, SessionIds};
use crate::server::Server;

/// How many distinct sessions and accounts the load cycles through.
const SAMPLE: usize = 1000;

/// How many sessions the token scenario cycles through (each needs a whoami to prepare).
const TOKEN_SAMPLE: usize = 100;

/// `POST /latch/token` for the session `cookie`, with the CSRF token its whoami gives.
fn token_request(server: &Server, cookie: &str) -> anyhow::Result<Req> {
    let answer = server.get("/latch/whoami", &[("Cookie", cookie)])?;
    let whoami: serde_json::Value = serde_json::from_str(&answer.body)?;
    let Some(csrf) = whoami["csrf_token"].as_str() else {
        bail!(
            "GET /latch/whoami answered {} {}",
            answer.status,
            answer.body
        );
    };
    Ok(Req {
        method: "POST",
        path: "/latch/token".into(),
        headers: vec![
            ("Cookie", cookie.to_string()),
            ("X-CSRF-Token", csrf.to_string()),
        ],
        body: None,
    })
}

/// The requests the load cycles through, for sessions spread over the whole table.
pub struct Sample {
    pub status: Vec<Req>,
    /// `GET /latch/verify` and `/latch/whoami` with the same sessions as `status`.
    pub verify: Vec<Req>,
    pub whoami: Vec<Req>,
    /// `POST /latch/token` with a session and its whoami CSRF token, for fewer sessions.
    pub token: Vec<Req>,
    pub patch: Vec<Req>,
    pub login: Vec<Req>,
    pub cookies: Vec<String>,
}

impl Sample {
    pub fn take(
        server: &Server,
        ids: &SessionIds,
        accounts: &[i64],
        cookie_name: &str,
        sessions: usize,
    ) -> anyhow::Result<Self> {
        let n = SAMPLE.min(sessions).max(1);
        let mut sample = Sample {
            status: Vec::new(),
            verify: Vec::new(),
            whoami: Vec::new(),
            token: Vec::new(),
            patch: Vec::new(),
            login: Vec::new(),
            cookies: Vec::new(),
        };
        for k in 0..n {
            let index = k * sessions / n;
            let cookie = format!("{cookie_name}={}", ids.id(index));
            let answer = server.get("/session/token", &[("Cookie", &cookie)])?;
            if answer.status != 200 {
                bail!("GET /session/token answered {}", answer.status);
            }
            if k == 0 {
                // Under a wrong cookie name every scenario would measure anonymous requests.
                let status = server.get("/user/login_status", &[("Cookie", &cookie)])?;
                if status.body.trim() != "1" {
                    bail!("the seeded session is not logged in under the cookie {cookie_name}");
                }
            }
            let uid = accounts[index % accounts.len()];
            sample
                .status
                .push(Req::get("/user/login_status?_format=json").header("Cookie", cookie.clone()));
            // Two time zones in turn, so that every PATCH changes the account: one that sets
            // the value the account already has is not written at all.
            for timezone in ["Europe/Berlin", "America/New_York"] {
                sample.patch.push(Req {
                    method: "PATCH",
                    path: format!("/user/{uid}?_format=json"),
                    headers: vec![
                        ("Cookie", cookie.clone()),
                        ("X-CSRF-Token", answer.body.trim().to_string()),
                        ("Content-Type", "application/json".into()),
                    ],
                    body: Some(format!(r#"{{"timezone": [{{"value": "{timezone}"}}]}}"#)),
                });
            }
            sample
                .verify
                .push(Req::get("/latch/verify").header("Cookie", cookie.clone()));
            sample
                .whoami
                .push(Req::get("/latch/whoami").header("Cookie", cookie.clone()));
            if k < TOKEN_SAMPLE {
                sample.token.push(token_request(server, &cookie)?);
            }
            sample.cookies.push(cookie);
        }
        for i in 0..SAMPLE.min(accounts.len()) {
            sample.login.push(Req {
                method: "POST",
                path: "/user/login?_format=json".into(),
                headers: vec![("Content-Type", "application/json".into())],
                body: Some(format!(
                    "{{\"name\": \"{}\", \"pass\": \"{}\"}}",
                    seed::account_name(i),
                    seed::PASSWORD
                )),
            });
        }
        sample.check_still_live(server)?;
        Ok(sample)
    }

    /// Every sampled session still counts as logged in: the load changed nothing it should
    /// not have.
    pub fn check_still_live(&self, server: &Server) -> anyhow::Result<()> {
        for cookie in self.cookies.iter().step_by(10) {
            let answer = server.get("/user/login_status?_format=json", &[("Cookie", cookie)])?;
            if answer.body.trim() != "1" {
                bail!("a seeded session is not logged in: {}", answer.body);
            }
        }
        Ok(())
    }
}
