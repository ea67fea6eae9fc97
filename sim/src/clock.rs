//! The simulated clock: it moves only when the run moves it, and it mints
//! the ledger's ids from the run's seed, so a run is the same event for
//! event each time its seed is replayed.

use std::sync::Mutex;

use agora::clock::Clock;
use agora_events::Timestamp;
use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::rng::Rng;

pub struct SimClock {
    state: Mutex<(DateTime<Utc>, Rng)>,
}

impl SimClock {
    pub fn new(seed: u64) -> Self {
        let start = Utc
            .with_ymd_and_hms(2026, 9, 1, 8, 0, 0)
            .single()
            .expect("a valid instant");
        Self {
            state: Mutex::new((start, Rng::derive(seed, "ids"))),
        }
    }

    /// Moves the clock by `by`, which may be zero (the clock stands still)
    /// or negative (a system clock set back).
    pub fn advance(&self, by: Duration) {
        self.lock().0 += by;
    }

    pub fn instant(&self) -> DateTime<Utc> {
        self.lock().0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (DateTime<Utc>, Rng)> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Clock for SimClock {
    fn now(&self) -> Timestamp {
        Timestamp::new(self.instant())
    }

    fn fill_random(&self, bytes: &mut [u8]) {
        let mut state = self.lock();
        for chunk in bytes.chunks_mut(8) {
            let word = state.1.next_u64().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }

    fn new_id(&self) -> uuid::Uuid {
        let mut state = self.lock();
        let millis = state.0.timestamp_millis().max(0) as u64;
        let random: [u8; 10] = state.1.bytes();
        uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid()
    }
}
