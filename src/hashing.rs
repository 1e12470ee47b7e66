//! The crate's one hash for caller data: a fast hash keyed once per process with a
//! random key.
//!
//! Customer ids ([`crate::TransactionLog`]), order and item ids ([`crate::basket`]) and
//! the floats of caller summaries are interned or cached in hash tables. An unkeyed
//! hash lets whoever controls those values choose many with one hash, and each such
//! value then costs a probe through all the others, so the work grows with the square
//! of their number (HashDoS; 200,000 crafted ids kept the old code busy for more than
//! a minute, `tests/hostile.rs`). The crate hashes them with
//! [foldhash](https://docs.rs/foldhash)'s fast variant (hashbrown's default hasher,
//! as fast as a multiply-rotate hash on integers and faster on strings), keyed with
//! 64 bits of operating-system randomness drawn once per process through std's
//! [`RandomState`], plus a per-table seed: without the key, colliding values cannot be
//! chosen.
//!
//! The key changes every hash value, table layout and hash-map iteration order from
//! process to process, so no output may depend on them: tables here number their
//! entries in first-seen order, and no map keyed with [`KeyedState`] is iterated to
//! produce a result.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hash};
use std::sync::OnceLock;

use foldhash::SharedSeed;
use foldhash::fast::{FoldHasher, SeedableRandomState};

/// The process's random key, drawn on first use.
fn shared_seed() -> &'static SharedSeed {
    static SEED: OnceLock<SharedSeed> = OnceLock::new();
    SEED.get_or_init(|| SharedSeed::from_u64(random_u64()))
}

/// 64 random bits: std's `RandomState` holds SipHash keys from the operating system's
/// random source, advanced for each new state, so hashing a constant with a new state
/// gives fresh random bits.
fn random_u64() -> u64 {
    RandomState::new().hash_one(0x243f_6a88_85a3_08d3u64)
}

/// A [`BuildHasher`] for caller data: foldhash keyed with the process's random key and
/// a random per-table seed. Its [`Debug`](std::fmt::Debug) prints no key.
#[derive(Clone)]
pub(crate) struct KeyedState(SeedableRandomState);

impl Default for KeyedState {
    fn default() -> Self {
        Self(SeedableRandomState::with_seed(random_u64(), shared_seed()))
    }
}

impl BuildHasher for KeyedState {
    type Hasher = FoldHasher<'static>;

    #[inline]
    fn build_hasher(&self) -> FoldHasher<'static> {
        self.0.build_hasher()
    }
}

impl std::fmt::Debug for KeyedState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyedState { .. }")
    }
}

impl KeyedState {
    /// The keyed hash of one value.
    #[inline]
    pub(crate) fn hash<T: Hash + ?Sized>(&self, value: &T) -> u64 {
        self.0.hash_one(value)
    }
}

/// A `HashMap` keyed with [`KeyedState`], for maps whose keys come from caller data.
pub(crate) type KeyedMap<K, V> = HashMap<K, V, KeyedState>;

/// The unkeyed hash the crate used before [`KeyedState`] (rustc's FxHash, a
/// multiply-rotate over 64-bit words, then a fixed avalanche), kept for tests that
/// craft values that all collide under it.
#[cfg(test)]
pub(crate) mod old_fx {
    const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    /// FxHash of 64-bit words, as `Hash` for `u64` and `(u64, u64)` feeds it.
    pub(crate) fn fx_words(words: &[u64]) -> u64 {
        words
            .iter()
            .fold(0u64, |h, &w| (h.rotate_left(5) ^ w).wrapping_mul(FX_SEED))
    }

    /// The final avalanche of the old id hash.
    pub(crate) fn avalanche(mut x: u64) -> u64 {
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^ (x >> 33)
    }

    /// The inverse of `x ^ (x >> 33)`.
    fn unshift33(y: u64) -> u64 {
        y ^ (y >> 33)
    }

    /// The multiplicative inverse of an odd `a` modulo 2^64 (Newton's iteration).
    fn inverse(a: u64) -> u64 {
        let mut x = a; // correct to 3 bits
        for _ in 0..5 {
            x = x.wrapping_mul(2u64.wrapping_sub(a.wrapping_mul(x)));
        }
        x
    }

    /// The `u64` id whose old hash (Fx of one word, then the avalanche) is `hash`: the
    /// old hash is a bijection, so ids for any chosen hashes can be computed.
    pub(crate) fn u64_with_hash(hash: u64) -> u64 {
        let x = unshift33(hash).wrapping_mul(inverse(0xff51_afd7_ed55_8ccd));
        unshift33(x).wrapping_mul(inverse(FX_SEED))
    }

    /// The second word `b` that makes the Fx state after `[a, b]` equal `state`,
    /// whatever `a`: the state after `a` is rotated and xored with `b` before the
    /// multiply, so `b` cancels it. Every such pair has one old hash.
    pub(crate) fn second_word(a: u64, state: u64) -> u64 {
        fx_words(&[a]).rotate_left(5) ^ state.wrapping_mul(inverse(FX_SEED))
    }

    #[test]
    fn crafted_ids_collide_under_the_old_hash() {
        let h = avalanche(fx_words(&[u64_with_hash(0xdead_beef << 20)]));
        assert_eq!(h, 0xdead_beef << 20);
        for a in [0, 1, u64::MAX, 0x1234_5678] {
            assert_eq!(fx_words(&[a, second_word(a, 99)]), 99);
        }
    }
}
