//! Loading the lists of addresses and origins: proxies, trusted and CORS origins, Django's
//! trusted-origin patterns.

use super::tests::{file_with, load_error};
use super::*;

#[test]
fn trusted_proxies_are_parsed_at_load_and_a_bad_entry_is_named() {
    let (_dir, file) = file_with("[http]\ntrusted_proxies = [\"10.0.0.0/8\", \"::1\"]\n");
    let loaded = Config::load(Some(&file), &Overrides::default()).unwrap();
    assert_eq!(
        loaded.http.trusted_proxies,
        [
            Network::parse("10.0.0.0/8").unwrap(),
            Network::parse("::1").unwrap()
        ]
    );
    let (_dir, file) = file_with("[http]\ntrusted_proxies = [\"10.0.0.0/8\", \"proxy.lan\"]\n");
    let err = load_error(&file, &Overrides::default(), &[]);
    assert!(
        err.contains("http.trusted_proxies: \"proxy.lan\" is not an address or network"),
        "{err}"
    );
    assert!(
        err.contains(&format!("in the file {}", file.display())),
        "{err}"
    );
}

#[test]
fn an_entry_that_is_no_origin_is_named_with_its_key_and_source() {
    for (toml, key, entry) in [
        (
            "[http]\ntrusted_origins = [\"https://a.test\", \"https://a.test/login\"]\n",
            "http.trusted_origins",
            "https://a.test/login",
        ),
        (
            "[http]\ncors_origins = [\"https://*.a.test\"]\n",
            "http.cors_origins",
            "https://*.a.test",
        ),
        (
            "[django]\ntrusted_origins = [\"spa.example\"]\n",
            "django.trusted_origins",
            "spa.example",
        ),
    ] {
        let (_dir, file) = file_with(toml);
        let err = load_error(&file, &Overrides::default(), &[]);
        assert!(err.contains(key), "{err}");
        assert!(err.contains(&format!("{entry:?}")), "{err}");
        assert!(
            err.contains(&format!("in the file {}", file.display())),
            "{err}"
        );
    }
}

#[test]
fn origins_load_normalised_and_browser_app_schemes_are_accepted() {
    let (_dir, file) = file_with(
        "[http]\ntrusted_origins = [\"https://App.example/\", \"capacitor://localhost\"]\n\
         [django]\ntrusted_origins = [\"https://*.corp.example\"]\n",
    );
    let config = Config::load(Some(&file), &Overrides::default()).unwrap();
    let origins: Vec<String> = config
        .http
        .trusted_origins
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(origins, ["https://app.example", "capacitor://localhost"]);
    assert_eq!(
        config.django.trusted_origins[0].to_string(),
        "https://*.corp.example"
    );
}
