//! The simulator's only source of chance: SplitMix64, seeded once per run.
//! Small, fast and the same on every machine, which is all a reproducible
//! run needs (it is not for secrets).

/// A deterministic generator of pseudo-random numbers.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// A generator for one purpose of a run (the workload, the ids, the
    /// faults), independent of the others: drawing more in one never shifts
    /// what another draws.
    pub fn derive(seed: u64, purpose: &str) -> Self {
        Self(mix(seed, purpose.bytes().map(u64::from)))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN_GAMMA);
        finalize(self.0)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        debug_assert!(n > 0);
        // The bias of a plain modulo is below 2⁻⁴⁰ for the sizes used here.
        (self.next_u64() % n as u64) as usize
    }

    /// A number in `low..=high`.
    pub fn between(&mut self, low: i64, high: i64) -> i64 {
        low + (self.next_u64() % ((high - low) as u64 + 1)) as i64
    }

    /// True `per_mille` times in a thousand.
    pub fn chance(&mut self, per_mille: u32) -> bool {
        self.below(1_000) < per_mille as usize
    }

    /// One of `items`, or `None` if there is none.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        (!items.is_empty()).then(|| &items[self.below(items.len())])
    }

    /// An index chosen by weight: `weights[i]` chances in their sum.
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut draw = self.below(total as usize) as u32;
        for (index, &weight) in weights.iter().enumerate() {
            if draw < weight {
                return index;
            }
            draw -= weight;
        }
        unreachable!("the draw is below the sum of the weights")
    }

    pub fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut bytes = [0; N];
        for chunk in bytes.chunks_mut(8) {
            let word = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
        bytes
    }
}

const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

fn finalize(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A well-mixed number from a seed and some words: the same words, the same
/// number, whatever happened before.
pub fn mix(seed: u64, words: impl IntoIterator<Item = u64>) -> u64 {
    words.into_iter().fold(finalize(seed), |state, word| {
        finalize(state.wrapping_add(GOLDEN_GAMMA) ^ word)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_draws_the_same_numbers() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        let drawn: Vec<u64> = (0..100).map(|_| a.next_u64()).collect();
        assert_eq!(drawn, (0..100).map(|_| b.next_u64()).collect::<Vec<_>>());
        assert_ne!(Rng::new(8).next_u64(), Rng::new(7).next_u64());
    }

    #[test]
    fn purposes_draw_apart() {
        assert_ne!(
            Rng::derive(1, "faults").next_u64(),
            Rng::derive(1, "workload").next_u64()
        );
    }

    #[test]
    fn draws_stay_in_range_and_reach_both_ends() {
        let mut rng = Rng::new(3);
        let drawn: Vec<i64> = (0..1_000).map(|_| rng.between(-2, 2)).collect();
        assert!(drawn.iter().all(|n| (-2..=2).contains(n)));
        assert!(drawn.contains(&-2) && drawn.contains(&2));
        let weighted: Vec<usize> = (0..1_000).map(|_| rng.weighted(&[0, 1, 3])).collect();
        assert!(!weighted.contains(&0));
        assert!(weighted.iter().filter(|&&i| i == 2).count() > 600);
    }
}
