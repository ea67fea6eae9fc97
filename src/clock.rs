//! Where "now" comes from, and new ids and random bytes with it. The domain never reads a
//! clock; the ledger's writers ask this one and pass the instant in, so
//! tests can fix time and the simulator can replay a run from its seed.

use std::sync::Mutex;

use agora_events::Timestamp;
use chrono::{DateTime, Utc};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;

    /// A new time-ordered id (a UUID v7: the instant, then random bits)
    /// for what the ledger itself names: events, commands sent without a
    /// key, its own commands.
    fn new_id(&self) -> uuid::Uuid {
        uuid::Uuid::now_v7()
    }

    /// Fills `bytes` with secret random bytes, for the keys and nonces the
    /// ledger makes itself (a ballot's key, a sealed vote's nonce).
    fn fill_random(&self, bytes: &mut [u8]) {
        // Without the system's generator no key can be made safely at all.
        getrandom::fill(bytes).expect("the operating system's random generator works");
    }
}

/// The system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::new(Utc::now())
    }
}

/// A clock that shows what it is told, for tests.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self(Mutex::new(start))
    }

    pub fn set(&self, instant: DateTime<Utc>) {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = instant;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::new(
            *self
                .0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    }
}
