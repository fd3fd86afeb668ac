//! `/latch/verify` behind a real nginx (`auth_request`), in front of an upstream that echoes
//! the headers it receives: the README's nginx snippet, tested.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use axum::http::HeaderMap;
use reqwest::Client;
use serde_json::Value;

use crate::helpers::{TestApp, body_json, skip, spawn_app_with};
use crate::native_support::{
    Credential, django_session, drupal_session, header, platformos_session, services_session,
};

/// The `location` blocks of the README's snippet, with the addresses filled in.
fn nginx_conf(dir: &Path, port: u16, latch: &str, upstream: &str) -> String {
    let dir = dir.display();
    format!(
        r#"pid {dir}/nginx.pid;
error_log {dir}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 127.0.0.1:{port};

        location = /latch/verify {{
            internal;
            proxy_pass {latch}/latch/verify;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Original-URI $request_uri;
            proxy_set_header X-Forwarded-Uri $request_uri;
            proxy_set_header X-Forwarded-Host $host;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}

        location @login {{
            return 302 {latch}/auth/login/?next=$scheme://$http_host$request_uri;
        }}

        location / {{
            auth_request /latch/verify;
            error_page 401 = @login;
            auth_request_set $latch_id $upstream_http_x_latch_user_id;
            auth_request_set $latch_uuid $upstream_http_x_latch_user_uuid;
            auth_request_set $latch_name $upstream_http_x_latch_user_name;
            auth_request_set $latch_mail $upstream_http_x_latch_user_mail;
            auth_request_set $latch_roles $upstream_http_x_latch_user_roles;
            auth_request_set $latch_expires $upstream_http_x_latch_session_expires;
            # Set, these replace whatever the client sent under the same names.
            proxy_set_header X-Latch-User-Id $latch_id;
            proxy_set_header X-Latch-User-Uuid $latch_uuid;
            proxy_set_header X-Latch-User-Name $latch_name;
            proxy_set_header X-Latch-User-Mail $latch_mail;
            proxy_set_header X-Latch-User-Roles $latch_roles;
            proxy_set_header X-Latch-Session-Expires $latch_expires;
            proxy_pass {upstream};
        }}
    }}
}}
"#
    )
}

/// nginx in the foreground on a free loopback port; stopped when dropped.
struct Nginx {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Nginx {
    async fn start(latch: &str, upstream: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let conf = dir.path().join("nginx.conf");
        std::fs::write(&conf, nginx_conf(dir.path(), port, latch, upstream)).unwrap();
        let child = Command::new("nginx")
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&conf)
            .args(["-g", "daemon off; master_process off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx");
        let nginx = Nginx { child, port, dir };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return nginx;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("nginx did not start: {}", nginx.error_log());
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// An upstream that answers every request with the headers it received, as JSON.
async fn echo_upstream() -> String {
    async fn echo(headers: HeaderMap) -> axum::Json<BTreeMap<String, Vec<String>>> {
        let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, value) in &headers {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            seen.entry(name.to_string()).or_default().push(value);
        }
        axum::Json(seen)
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().fallback(echo);
    tokio::spawn(async move { axum::serve(listener, app).await });
    address
}

fn nginx_installed() -> bool {
    Command::new("nginx")
        .arg("-V")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stderr).contains("http_auth_request"))
}

async fn through(nginx: &Nginx, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut request = client.get(nginx.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("nginx answers")
}

async fn setup() -> Option<(TestApp, Nginx)> {
    if !nginx_installed() {
        skip("nginx with the auth_request module is not installed (apt-get install nginx)");
        return None;
    }
    let app = spawn_app_with(|config| {
        config.http.trusted_proxies = vec![latch::config::Network::parse("127.0.0.1").unwrap()];
    })
    .await;
    let upstream = echo_upstream().await;
    let nginx = Nginx::start(&app.address, &upstream).await;
    Some((app, nginx))
}

#[tokio::test]
async fn nginx_sends_visitors_without_a_session_to_the_login_page() {
    let Some((app, nginx)) = setup().await else {
        return;
    };
    let response = through(&nginx, "/reports?year=2026", &[]).await;
    assert_eq!(response.status(), 302, "{}", nginx.error_log());
    let expected = format!(
        "{}/auth/login/?next=http://127.0.0.1:{}/reports?year=2026",
        app.address, nginx.port
    );
    assert_eq!(header(&response, "location"), expected);
}

#[tokio::test]
async fn nginx_passes_every_kind_of_session_with_the_account_headers_only_latch_set() {
    let Some((app, nginx)) = setup().await else {
        return;
    };
    let account = app.create_account("Zoë", "secret", &["editor"]).await;
    let credentials: [Credential; 4] = [
        drupal_session(&app, "Zoë", "secret").await,
        django_session(&app, "Zoë", "secret").await,
        services_session(&app, "Zoë", "secret").await,
        platformos_session(&app, "zoë@example.com", "secret").await,
    ];
    for (name, value) in &credentials {
        let forged = [
            (*name, value.as_str()),
            ("X-Latch-User-Name", "admin"),
            ("X-Latch-User-Roles", "authenticated,administrator"),
        ];
        let response = through(&nginx, "/app", &forged).await;
        assert_eq!(response.status(), 200, "{name}: {}", nginx.error_log());
        let seen: Value = body_json(&response.text().await.unwrap());
        assert_eq!(seen["x-latch-user-name"], serde_json::json!(["Zo%C3%AB"]));
        assert_eq!(
            seen["x-latch-user-roles"],
            serde_json::json!(["authenticated,editor"])
        );
        assert_eq!(
            seen["x-latch-user-id"],
            serde_json::json!([account.id.to_string()])
        );
        assert_eq!(seen["x-latch-user-uuid"], serde_json::json!([account.uuid]));
    }
}

#[tokio::test]
async fn nginx_refuses_a_session_at_once_after_logout_and_forged_headers_never_pass() {
    let Some((app, nginx)) = setup().await else {
        return;
    };
    app.create_account("bob", "secret", &[]).await;
    // Without a session, a forged identity reaches nothing.
    let forged = [("X-Latch-User-Name", "bob"), ("X-Latch-User-Id", "1")];
    assert_eq!(through(&nginx, "/app", &forged).await.status(), 302);

    let cookie = drupal_session(&app, "bob", "secret").await;
    let (name, value) = (cookie.0, cookie.1.as_str());
    assert_eq!(
        through(&nginx, "/app", &[(name, value)]).await.status(),
        200
    );
    // Log this session out; the next request through nginx is refused. A second login with
    // the cookie reveals the session's logout token, as Drupal does.
    let other = Client::new()
        .post(app.url("/user/login?_format=json"))
        .header("Cookie", value)
        .header("Content-Type", "application/json")
        .body(r#"{"name": "bob", "pass": "secret"}"#)
        .send()
        .await
        .unwrap();
    let logout_token = body_json(&other.text().await.unwrap())["logout_token"]
        .as_str()
        .unwrap()
        .to_string();
    let response = Client::new()
        .post(app.url(&format!("/user/logout?_format=json&token={logout_token}")))
        .header("Cookie", value)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(
        through(&nginx, "/app", &[(name, value)]).await.status(),
        302
    );
}
