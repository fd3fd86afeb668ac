//! Unit tests of the relying party, names, credentials and user handles.

use super::*;

fn config(public_url: &str) -> Config {
    Config {
        public_url: public_url.into(),
        ..Config::default()
    }
}

#[test]
fn the_relying_party_needs_a_host_name() {
    assert!(relying_party(&config("http://127.0.0.1:8080")).is_none());
    assert!(relying_party(&config("http://localhost:8080")).is_some());
    assert!(relying_party(&config("https://login.example.com")).is_some());
}

#[test]
fn names_are_trimmed_bounded_and_default_to_a_number() {
    assert_eq!(passkey_name(Some("  laptop "), 0).unwrap(), "laptop");
    assert_eq!(passkey_name(None, 2).unwrap(), "Passkey 3");
    assert_eq!(passkey_name(Some(" "), 0).unwrap(), "Passkey 1");
    assert!(passkey_name(Some(&"x".repeat(101)), 0).is_err());
    assert!(passkey_name(Some("a\u{7}b"), 0).is_err());
}

#[test]
fn a_credential_that_is_not_one_is_a_clear_refusal() {
    for bad in [
        serde_json::json!("text"),
        serde_json::json!({}),
        serde_json::json!({"id": 1, "rawId": [], "response": null}),
    ] {
        let refused = parse_credential::<RegisterPublicKeyCredential>(&bad);
        assert!(
            matches!(refused, Err(Error::Passkey(PasskeyError::Malformed(_)))),
            "{bad}"
        );
    }
}

#[test]
fn an_accounts_user_handle_is_its_uuid_or_one_derived_from_it() {
    let mut account = Account {
        id: 1,
        uuid: "6f1d4a53-64b8-4b0c-9b53-0d3a3d6b0a11".into(),
        name: "ana".into(),
        mail: None,
        password_hash: None,
        state: crate::domain::accounts::AccountState::Active,
        timezone: "UTC".into(),
        langcode: "en".into(),
        created_at: 0,
        changed_at: 0,
        access_at: 0,
        login_at: 0,
        roles: Vec::new(),
    };
    assert_eq!(user_handle(&account).to_string(), account.uuid);
    account.uuid = "not a uuid".into();
    assert_eq!(user_handle(&account), user_handle(&account.clone()));
    assert_ne!(user_handle(&account), Uuid::nil());
}
