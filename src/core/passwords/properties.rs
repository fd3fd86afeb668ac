//! Stored hashes come from imports and other systems' databases: any string, and strings
//! that start like every supported format, must verify or not, never panic.

use super::*;
use proptest::prelude::*;

const PREFIXES: [&str; 12] = [
    "$argon2id$v=19$m=19456,t=2,p=1$",
    "$argon2id$v=19$m=4294967295,t=1,p=1$c2FsdA$",
    "argon2$argon2id$v=19$m=1024,t=1,p=1$",
    "$2y$04$",
    "$2b$31$",
    "$S$C",
    "$S$",
    "U$S$D",
    "$P$B",
    "$H$9",
    "pbkdf2_sha256$1$salt$",
    "pbkdf2_sha256$99999999999$",
];

fn stored() -> impl Strategy<Value = String> {
    let seeded = (prop::sample::select(&PREFIXES[..]), any::<String>())
        .prop_map(|(prefix, tail)| format!("{prefix}{tail}"));
    prop_oneof![seeded, any::<String>()]
}

proptest! {
    #[test]
    fn no_stored_hash_makes_verifying_recognising_or_describing_it_panic(stored in stored(), password in any::<String>()) {
        let _ = verify_with(password.as_bytes(), &stored);
        let _ = is_recognised(&stored);
        let _ = legacy::describe(&stored);
    }
}
