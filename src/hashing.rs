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
//!
//! [`IdIndex`] is the keyless id-to-index table of the transaction log, built one
//! cache-sized block at a time.

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

/// An id-to-index map that stores no keys: open addressing (linear probing) over `u32`
/// slots holding one plus an index into the log's id vector (0 is an empty slot, so
/// a new table is zeroed memory), about 6 bytes per customer.
///
/// The table is cut into blocks of equal size, one per value of the top bits of an id's
/// hash, and a probe wraps around inside its block. Ids are first grouped by block
/// ([`Partition`]) and [`IdIndex::build`] fills one block at a time, so every
/// insert lands in a cache-resident region instead of a random place in a table of
/// megabytes.
///
/// Ids are hashed with the crate's keyed hash ([`KeyedState`]): ids chosen to collide
/// would otherwise all fill one block (sized for the fullest, times the number of
/// blocks) and probe through each other. Where an id lands depends on the key, what
/// the index answers does not.
#[derive(Clone)]
pub(crate) struct IdIndex {
    slots: Vec<u32>,
    block_bits: u32,
    /// Slots per block.
    per_block: usize,
    hasher: KeyedState,
}

const EMPTY: u32 = 0;

/// Keys per block the layout aims at: a block's slots and tags then stay in a core's
/// L2 cache, and the bucketing pass writes to few streams (64 per million keys).
const KEYS_PER_BLOCK: usize = 16_384;

/// The block of a hash (its top `block_bits` bits) and its tag (the 32 bits below).
#[inline]
fn block_and_tag(hash: u64, block_bits: u32) -> (usize, u32) {
    let block = hash.checked_shr(64 - block_bits).unwrap_or(0) as usize;
    (block, (hash << block_bits >> 32) as u32)
}

/// A tag's first slot in a block of `per_block` slots (multiply-shift: the tag's top
/// bits scaled to the block).
#[inline]
fn first_slot(tag: u32, per_block: usize) -> usize {
    ((u64::from(tag) * per_block as u64) >> 32) as usize
}

/// Keys grouped by the block of their hash, each as `tag << 32 | key`, in key order
/// within a block: `keys[start[b]..start[b + 1]]` is block `b`.
pub(crate) struct Partition {
    block_bits: u32,
    start: Vec<u32>,
    keys: Vec<u64>,
}

impl Partition {
    /// Groups keys `0..n` by block, where `hash(k)` is key `k`'s hash: a counting sort
    /// that hashes each key twice (to count, then to place) rather than storing the
    /// hashes, since fresh memory costs more than hashing.
    pub(crate) fn new(n: usize, hash: impl Fn(u32) -> u64) -> Self {
        let block_bits = (n / KEYS_PER_BLOCK)
            .max(1)
            .next_power_of_two()
            .trailing_zeros()
            .min(16);
        let blocks = 1usize << block_bits;
        let mut start = vec![0u32; blocks + 1];
        for k in 0..n as u32 {
            start[block_and_tag(hash(k), block_bits).0 + 1] += 1;
        }
        for b in 0..blocks {
            start[b + 1] += start[b];
        }
        let mut cursor = start[..blocks].to_vec();
        let mut keys = vec![0u64; n];
        for k in 0..n as u32 {
            let (block, tag) = block_and_tag(hash(k), block_bits);
            keys[cursor[block] as usize] = u64::from(tag) << 32 | u64::from(k);
            cursor[block] += 1;
        }
        Self {
            block_bits,
            start,
            keys,
        }
    }

    fn block(&self, b: usize) -> &[u64] {
        &self.keys[self.start[b] as usize..self.start[b + 1] as usize]
    }

    fn blocks(&self) -> usize {
        self.start.len() - 1
    }
}

impl IdIndex {
    /// Indexes the keys `0..n` of `keys`, where `same(a, b)` tells whether keys `a` and
    /// `b` are equal. Each distinct key's slot holds one plus the position of its first
    /// occurrence. Also returns, when some key repeats an earlier one, the position of
    /// each key's first occurrence (`None` when all keys are distinct).
    /// `keys` are grouped by their hashes with `hasher`.
    pub(crate) fn build(
        keys: Partition,
        n: usize,
        same: impl Fn(u32, u32) -> bool,
        hasher: KeyedState,
    ) -> (Self, Option<Vec<u32>>) {
        // Blocks at a load factor of at most 2/3.
        let fullest = (0..keys.blocks())
            .map(|b| keys.block(b).len())
            .max()
            .unwrap_or(0);
        let per_block = (fullest + fullest / 2 + 1).max(16);
        let mut slots = vec![EMPTY; keys.blocks() * per_block];
        // The tag of each occupied slot's key: most mismatches are rejected without
        // reading the key.
        let mut tags = vec![0u32; per_block];
        let mut first: Option<Vec<u32>> = None;
        for (b, region) in slots.chunks_exact_mut(per_block).enumerate() {
            // Keys are in order, so the first occurrence of a key is inserted first.
            for &e in keys.block(b) {
                let (tag, k) = ((e >> 32) as u32, e as u32);
                let mut i = first_slot(tag, per_block);
                loop {
                    let s = region[i];
                    if s == EMPTY {
                        region[i] = k + 1;
                        tags[i] = tag;
                        break;
                    }
                    if tags[i] == tag && same(s - 1, k) {
                        first.get_or_insert_with(|| (0..n as u32).collect())[k as usize] = s - 1;
                        break;
                    }
                    i += 1;
                    if i == per_block {
                        i = 0;
                    }
                }
            }
        }
        let index = Self {
            slots,
            block_bits: keys.block_bits,
            per_block,
            hasher,
        };
        (index, first)
    }

    /// An index of distinct `ids`.
    pub(crate) fn of_distinct<C: Hash>(ids: &[C]) -> Self {
        let hasher = KeyedState::default();
        let keys = Partition::new(ids.len(), |k| hasher.hash(&ids[k as usize]));
        // Distinct ids: no two are the same.
        Self::build(keys, ids.len(), |_, _| false, hasher).0
    }

    /// Points every key's slot at `f(position)` instead of its position (after the
    /// keys are renumbered, e.g. runs of rows to their customers).
    pub(crate) fn renumber(&mut self, f: impl Fn(u32) -> u32) {
        for s in self.slots.iter_mut().filter(|s| **s != EMPTY) {
            *s = f(*s - 1) + 1;
        }
    }

    /// The number of blocks and the slots per block.
    #[cfg(test)]
    pub(crate) fn layout(&self) -> (usize, usize) {
        (1usize << self.block_bits, self.per_block)
    }

    /// The position `ids` holds `id` at, if the index has it.
    pub(crate) fn get<C: Eq + Hash>(&self, id: &C, ids: &[C]) -> Option<u32> {
        let (block, tag) = block_and_tag(self.hasher.hash(id), self.block_bits);
        let region = &self.slots[block * self.per_block..(block + 1) * self.per_block];
        let mut i = first_slot(tag, self.per_block);
        loop {
            let s = region[i];
            if s == EMPTY {
                return None;
            }
            if ids[s as usize - 1] == *id {
                return Some(s - 1);
            }
            i += 1;
            if i == self.per_block {
                i = 0;
            }
        }
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    /// The index finds every key's first occurrence and no absent key, for tables
    /// from a handful of keys (where probes wrap around a block's end) to many
    /// blocks, with keys repeated (so most inserts meet an equal key).
    #[test]
    fn index_finds_first_occurrences() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(11);
        let mut next = move |m: u64| rng.random_range(0..m);
        for n in (1..300).chain([5_000, 70_000]) {
            let distinct = 1 + n / (1 + next(3) as usize);
            let keys: Vec<u64> = (0..n).map(|_| next(distinct as u64) * 7919).collect();
            let hasher = KeyedState::default();
            let partition = Partition::new(n, |k| hasher.hash(&keys[k as usize]));
            let (index, first) = IdIndex::build(
                partition,
                n,
                |a, b| keys[a as usize] == keys[b as usize],
                hasher,
            );
            for (k, key) in keys.iter().enumerate() {
                let want = keys.iter().position(|x| x == key).unwrap() as u32;
                assert_eq!(index.get(key, &keys), Some(want), "n {n}, key {k}");
                let first_of_k = first.as_ref().map_or(k as u32, |f| f[k]);
                assert_eq!(first_of_k, want, "n {n}, key {k}");
            }
            for absent in 0..50 {
                assert_eq!(index.get(&(absent * 7919 + 1), &keys), None);
            }
        }
    }
}
