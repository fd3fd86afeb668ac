//! Passkeys end to end in headless Chromium with a virtual authenticator (WebDriver's
//! WebAuthn extension): registered through the native API from within the page, then used to
//! sign in with the login page's passkey button, and as the second factor of a password login.

use std::process::Command;

use serde_json::{Value, json};

use crate::django_browser::Driver;
use crate::helpers::{TestApp, skip, spawn_app_on_localhost};

/// base64url to bytes and back, for the scripts below.
const CODEC: &str = "
function buf(t) { t = t.replace(/-/g, '+').replace(/_/g, '/'); while (t.length % 4) t += '=';
  const s = atob(t); const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i); return b.buffer; }
function txt(b) { const v = new Uint8Array(b); let s = '';
  for (let i = 0; i < v.length; i++) s += String.fromCharCode(v[i]);
  return btoa(s).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, ''); }
function assertion(a) { return {id: a.id, rawId: txt(a.rawId), type: a.type, response: {
  authenticatorData: txt(a.response.authenticatorData),
  clientDataJSON: txt(a.response.clientDataJSON), signature: txt(a.response.signature),
  userHandle: a.response.userHandle ? txt(a.response.userHandle) : null}}; }
async function post(path, body, headers) {
  const r = await fetch(path, {method: 'POST', headers: Object.assign(
    {'Content-Type': 'application/json'}, headers || {}), body: JSON.stringify(body || {})});
  return {status: r.status, body: await r.json()}; }
";

/// Registers a passkey for the session the page's cookie holds.
const REGISTER: &str = "
const done = arguments[arguments.length - 1];
(async () => {
  const who = await (await fetch('/latch/whoami')).json();
  const csrf = {'X-CSRF-Token': who.csrf_token};
  const started = await post('/latch/mfa/passkeys/register', null, csrf);
  const options = started.body.publicKey;
  options.challenge = buf(options.challenge);
  options.user.id = buf(options.user.id);
  (options.excludeCredentials || []).forEach(c => { c.id = buf(c.id); });
  const c = await navigator.credentials.create({publicKey: options});
  const credential = {id: c.id, rawId: txt(c.rawId), type: c.type, response: {
    attestationObject: txt(c.response.attestationObject),
    clientDataJSON: txt(c.response.clientDataJSON)}};
  return post('/latch/mfa/passkeys/register/finish',
    {ceremony: started.body.ceremony, name: 'virtual', credential}, csrf);
})().then(done, e => done({error: String(e)}));
";

/// A password login finished with the passkey as its second factor.
const SECOND_FACTOR: &str = "
const done = arguments[arguments.length - 1];
(async () => {
  const first = await post('/latch/login', {name: 'alma', password: 'correct horse'});
  const token = first.body.mfa_token;
  const started = await post('/latch/login/mfa/passkey', {mfa_token: token});
  const options = started.body.publicKey;
  options.challenge = buf(options.challenge);
  options.allowCredentials.forEach(c => { c.id = buf(c.id); });
  const a = await navigator.credentials.get({publicKey: options});
  const finished = await post('/latch/login/mfa', {mfa_token: token, credential: assertion(a)});
  return {methods: first.body.methods, status: finished.status, body: finished.body};
})().then(done, e => done({error: String(e)}));
";

/// A passkey login through the login view, as the page's script submits it, from a page
/// whose cookie already holds a session.
const SIGN_IN_AGAIN: &str = "
const done = arguments[arguments.length - 1];
(async () => {
  const started = await post('/latch/login/passkey', null);
  const options = started.body.publicKey;
  options.challenge = buf(options.challenge);
  (options.allowCredentials || []).forEach(c => { c.id = buf(c.id); });
  const a = await navigator.credentials.get({publicKey: options});
  const csrf = document.cookie.split('; ').find(c => c.startsWith('csrftoken=')).slice(10);
  const form = new URLSearchParams({csrfmiddlewaretoken: csrf, ceremony: started.body.ceremony,
    credential: JSON.stringify(assertion(a))});
  const r = await fetch('/auth/login/', {method: 'POST', body: form,
    headers: {Accept: 'application/json'}});
  return {status: r.status, body: await r.json()};
})().then(done, e => done({error: String(e)}));
";

async fn run(driver: &Driver, script: &str) -> Value {
    let script = format!("{CODEC}\n{script}");
    driver
        .call(
            "POST",
            "/execute/async",
            Some(json!({"script": script, "args": []})),
        )
        .await
}

async fn log_in_with_the_form(driver: &Driver, app: &TestApp) {
    driver.open(&page(app)).await;
    driver.type_into("#id_username", "alma").await;
    driver.type_into("#id_password", "correct horse").await;
    driver.click("#login-submit").await;
    assert_eq!(driver.wait_for_title("Logged in").await, "Logged in");
}

fn page(app: &TestApp) -> String {
    format!("http://localhost:{}/auth/login/", app.port)
}

#[tokio::test]
async fn a_browser_registers_a_passkey_and_signs_in_with_it_alone_and_as_second_factor() {
    // CI installs Chromium (.ci/run) and must run this test.
    if Command::new("chromedriver")
        .arg("--version")
        .output()
        .is_err()
    {
        return skip(
            "the passkey browser test: no chromedriver (Debian: apt-get install chromium \
             chromium-driver)",
        );
    }
    let app = spawn_app_on_localhost().await;
    app.create_account("alma", "correct horse", &[]).await;
    let profile = tempfile::tempdir().unwrap();
    let driver = Driver::start(profile.path()).await;
    let authenticator = driver
        .call(
            "POST",
            "/webauthn/authenticator",
            Some(json!({
                "protocol": "ctap2", "transport": "internal", "hasResidentKey": true,
                "hasUserVerification": true, "isUserVerified": true,
            })),
        )
        .await;
    let authenticator = authenticator.as_str().expect("an authenticator id");

    log_in_with_the_form(&driver, &app).await;
    // The scripts run in a JSON document of latch's origin: the login page's policy lets no
    // script but its own fetch.
    let plain = format!("http://localhost:{}/latch/whoami", app.port);
    driver.open(&plain).await;
    let registered = run(&driver, REGISTER).await;
    assert_eq!(registered["status"], 201, "{registered}");
    assert_eq!(registered["body"]["name"], "virtual", "{registered}");
    let codes = registered["body"]["recovery_codes"].as_array().unwrap();
    assert_eq!(
        codes.len(),
        10,
        "the first second factor brings recovery codes"
    );
    let held = driver
        .call(
            "GET",
            &format!("/webauthn/authenticator/{authenticator}/credentials"),
            None,
        )
        .await;
    assert_eq!(held[0]["isResidentCredential"], true, "{held}");

    // Signed out, the page's passkey button signs in with the passkey alone.
    driver.call("DELETE", "/cookie", None).await;
    driver.open(&page(&app)).await;
    assert_eq!(driver.title().await, "Log in");
    driver.click("#passkey-login").await;
    assert_eq!(driver.wait_for_title("Logged in").await, "Logged in");
    assert_eq!(
        driver.text("#logged-in-as").await,
        "You are logged in as alma."
    );
    driver.screenshot("passkey-logged-in.png").await;
    let used = app
        .integers("SELECT COUNT(*) FROM mfa_passkeys WHERE last_used_at IS NOT NULL")
        .await;
    assert_eq!(used, [1]);

    // Signing in again while signed in replaces the session, as a password login does.
    let sessions = "SELECT COUNT(*) FROM sessions WHERE account_id = \
         (SELECT id FROM accounts WHERE name = 'alma')";
    let before = app.integers(sessions).await;
    driver.open(&plain).await;
    let again = run(&driver, SIGN_IN_AGAIN).await;
    assert_eq!(again["status"], 200, "{again}");
    assert_eq!(again["body"]["username"], "alma", "{again}");
    assert_eq!(
        app.integers(sessions).await,
        before,
        "the session it held is gone"
    );

    // A password login now asks for the second factor, which the passkey gives.
    driver.call("DELETE", "/cookie", None).await;
    driver.open(&plain).await;
    let answer = run(&driver, SECOND_FACTOR).await;
    assert_eq!(
        answer["methods"],
        json!(["passkey", "recovery_code"]),
        "{answer}"
    );
    assert_eq!(answer["status"], 200, "{answer}");
    assert_eq!(answer["body"]["user"]["name"], "alma", "{answer}");
    assert!(answer["body"]["session_token"].as_str().is_some());

    let events = app
        .strings("SELECT kind FROM audit_events WHERE detail = 'passkey' ORDER BY id")
        .await;
    assert_eq!(
        events,
        ["mfa_enrol", "login", "login", "login"],
        "{events:?}"
    );
    driver.quit().await;
}
