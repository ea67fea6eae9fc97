//! Natural numbers of any size, with just what exact ballot weights need:
//! sums, products and exact quotients by small numbers, and comparison.
//!
//! An assembly ballot's weights are fractions (a college's percentage
//! shared among its voters); over a common denominator they are whole
//! numbers that can outgrow any fixed width when the colleges' voter counts
//! have few common factors.

use std::cmp::Ordering;
use std::ops::AddAssign;

/// A natural number, in base 2³² limbs, least significant first, without
/// leading zero limbs (zero has none).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Natural(Vec<u32>);

impl Natural {
    pub fn zero() -> Self {
        Self(Vec::new())
    }

    /// `self × factor`.
    pub fn times(&self, factor: u32) -> Self {
        let mut limbs = Vec::with_capacity(self.0.len() + 1);
        let mut carry = 0u64;
        for &limb in &self.0 {
            let product = u64::from(limb) * u64::from(factor) + carry;
            limbs.push(product as u32);
            carry = product >> 32;
        }
        if carry > 0 {
            limbs.push(carry as u32);
        }
        Self::trimmed(limbs)
    }

    /// `self ÷ divisor` and the remainder (`divisor` > 0).
    pub fn divided_by(&self, divisor: u32) -> (Self, u32) {
        assert!(divisor > 0, "division by zero");
        let mut limbs = vec![0; self.0.len()];
        let mut remainder = 0u64;
        for (at, &limb) in self.0.iter().enumerate().rev() {
            let current = (remainder << 32) | u64::from(limb);
            limbs[at] = (current / u64::from(divisor)) as u32;
            remainder = current % u64::from(divisor);
        }
        (Self::trimmed(limbs), remainder as u32)
    }

    /// The least common multiple of `self` and `other` (both > 0).
    pub fn lcm(&self, other: u32) -> Self {
        let (_, remainder) = self.divided_by(other);
        let common = gcd(remainder, other);
        self.times(other / common)
    }

    fn trimmed(mut limbs: Vec<u32>) -> Self {
        while limbs.last() == Some(&0) {
            limbs.pop();
        }
        Self(limbs)
    }
}

fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl From<u32> for Natural {
    fn from(value: u32) -> Self {
        Self::trimmed(vec![value])
    }
}

impl AddAssign<&Natural> for Natural {
    fn add_assign(&mut self, other: &Natural) {
        let mut carry = 0u64;
        for at in 0..self.0.len().max(other.0.len()) {
            let sum = u64::from(self.0.get(at).copied().unwrap_or(0))
                + u64::from(other.0.get(at).copied().unwrap_or(0))
                + carry;
            if at < self.0.len() {
                self.0[at] = sum as u32;
            } else {
                self.0.push(sum as u32);
            }
            carry = sum >> 32;
        }
        if carry > 0 {
            self.0.push(carry as u32);
        }
    }
}

impl Ord for Natural {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }
}

impl PartialOrd for Natural {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(value: u128) -> Natural {
        let limbs = (0..4).map(|at| (value >> (32 * at)) as u32).collect();
        Natural::trimmed(limbs)
    }

    #[test]
    fn arithmetic_agrees_with_u128_where_it_fits() {
        let samples = [
            0u128,
            1,
            7,
            u32::MAX as u128,
            1 << 40,
            123_456_789_012_345_678_901,
        ];
        for &a in &samples {
            assert_eq!(of(a).times(97), of(a * 97));
            assert_eq!(of(a).divided_by(97), (of(a / 97), (a % 97) as u32));
            for &b in &samples {
                let mut sum = of(a);
                sum += &of(b);
                assert_eq!(sum, of(a + b));
                assert_eq!(of(a).cmp(&of(b)), a.cmp(&b));
            }
        }
    }

    #[test]
    fn lcm_grows_past_any_fixed_width() {
        // The first 40 primes multiply to far more than 2¹²⁸.
        let primes = (2u32..).filter(|n| (2..*n).all(|d| n % d != 0)).take(40);
        let lcm = primes.clone().fold(Natural::from(1), |lcm, p| lcm.lcm(p));
        assert!(lcm > of(u128::MAX));
        for p in primes {
            assert_eq!(lcm.divided_by(p).1, 0);
        }
        assert_eq!(Natural::from(12).lcm(18), Natural::from(36));
    }
}
