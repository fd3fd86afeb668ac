//! Argon2 with memory a hashing thread keeps from one hash to the next. A fresh block (19 MiB
//! at the default cost) is zeroed by the allocator before Argon2 overwrites it, about half a
//! millisecond per login beside Argon2's 15; Argon2 writes every block before it reads it, so
//! the block of an earlier hash serves as it is. A thread keeps at most the block of the
//! configured cost (a costlier imported hash gets a fresh one) and gives it back when idle.

use std::cell::{Cell, RefCell};

use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};
use subtle::ConstantTimeEq;

thread_local! {
    static KEPT: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
    /// The most blocks this thread keeps between hashes; none on threads that never set it.
    static KEEP_UP_TO: Cell<usize> = const { Cell::new(0) };
}

/// Lets the calling thread keep the memory of hashes at most as costly as `params`.
pub(super) fn keep_up_to(params: &Params) {
    KEEP_UP_TO.set(params.block_count());
}

/// Gives the calling thread's kept memory back to the allocator.
pub(super) fn release() {
    KEPT.take();
}

fn hash_into(argon2: &Argon2<'_>, password: &[u8], salt: &[u8], out: &mut [u8]) -> bool {
    let blocks = argon2.params().block_count();
    if blocks > KEEP_UP_TO.get() {
        return argon2.hash_password_into(password, salt, out).is_ok();
    }
    KEPT.with_borrow_mut(|kept| {
        if kept.len() < blocks {
            *kept = vec![Block::default(); blocks];
        }
        argon2
            .hash_password_into_with_memory(password, salt, out, &mut kept[..])
            .is_ok()
    })
}

/// Whether `password` is the one of the Argon2 hash `stored`; `None` if the hash cannot be
/// computed (an unknown variant or version, a salt or output of a length Argon2 refuses).
pub(super) fn verify(password: &[u8], stored: &PasswordHash) -> Option<bool> {
    let (Some(salt), Some(expected)) = (&stored.salt, &stored.hash) else {
        return None;
    };
    let algorithm = Algorithm::try_from(stored.algorithm.as_str()).ok()?;
    let version = match stored.version {
        Some(version) => Version::try_from(version).ok()?,
        None => Version::default(),
    };
    let params = Params::try_from(stored).ok()?;
    let argon2 = Argon2::new(algorithm, version, params);
    let mut computed = vec![0u8; expected.len()];
    if !hash_into(&argon2, password, salt, &mut computed) {
        return None;
    }
    Some(bool::from(computed.ct_eq(expected.as_bytes())))
}

/// Spends the work of checking `password` against a hash at `params` and keeps no result:
/// what a login for an account without a usable hash costs, so that it takes as long.
pub(super) fn spend(params: &Params, password: &[u8]) {
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut out = [0u8; 32];
    let _ = hash_into(&argon2, password, b"latch-no-account", &mut out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::PasswordHasher;

    fn params() -> Params {
        Params::new(64, 1, 1, None).unwrap()
    }

    #[test]
    fn a_kept_block_gives_the_same_hashes_as_a_fresh_one() {
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params());
        let first = argon2.hash_password(b"first").unwrap().to_string();
        let second = argon2.hash_password(b"second").unwrap().to_string();
        keep_up_to(&params());
        for _ in 0..2 {
            for (password, hash) in [(&b"first"[..], &first), (&b"second"[..], &second)] {
                let parsed = PasswordHash::new(hash).unwrap();
                assert_eq!(verify(password, &parsed), Some(true));
                assert_eq!(verify(b"other", &parsed), Some(false));
            }
        }
        assert!(KEPT.with_borrow(|kept| kept.len()) >= params().block_count());
        release();
        assert_eq!(KEPT.with_borrow(|kept| kept.len()), 0);
    }

    #[test]
    fn a_costlier_hash_than_kept_uses_memory_of_its_own() {
        keep_up_to(&params());
        let costly = Params::new(256, 1, 1, None).unwrap();
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, costly);
        let hash = argon2.hash_password(b"pw").unwrap().to_string();
        assert_eq!(
            verify(b"pw", &PasswordHash::new(&hash).unwrap()),
            Some(true)
        );
        assert!(KEPT.with_borrow(|kept| kept.len()) < 256);
    }
}
