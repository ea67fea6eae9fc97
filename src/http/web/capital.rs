//! The capital over time, for the assembly: folded from the community's
//! log once, then only from where the last fold stopped, so a page view
//! reads only the events recorded since the one before.

use std::collections::HashMap;

use agora_events::{CommunitySlug, Euros, Timestamp};
use agora_projections::CommunityState;
use tokio::sync::Mutex;

use crate::ledger::{Ledger, LedgerError};

/// Events read from the log at once while folding.
const PAGE: usize = 1_000;

/// Per community: the capital after each change.
#[derive(Default)]
pub struct CapitalHistory {
    folded: Mutex<HashMap<CommunitySlug, Folded>>,
}

#[derive(Default)]
struct Folded {
    /// The next revision to fold.
    next: u64,
    state: Option<CommunityState>,
    /// The capital after each event that changed it.
    points: Vec<(Timestamp, Euros)>,
}

impl CapitalHistory {
    /// The capital after each change, through revision `through`.
    pub async fn of(
        &self,
        ledger: &Ledger,
        community: &CommunitySlug,
        through: u64,
    ) -> Result<Vec<(Timestamp, Euros)>, LedgerError> {
        let mut all = self.folded.lock().await;
        let folded = all.entry(community.clone()).or_default();
        while folded.next <= through {
            let page = ledger.read_log(community, folded.next, PAGE).await?;
            if page.is_empty() {
                break;
            }
            for committed in &page {
                let (event, metadata) = committed
                    .record
                    .decode()
                    .map_err(|error| LedgerError::Corrupt(error.to_string()))?;
                let before = folded.state.as_ref().map(|state| state.register.capital);
                CommunityState::evolve(
                    &mut folded.state,
                    &event,
                    committed.record.event_id,
                    metadata.recorded_at,
                );
                let after = folded.state.as_ref().map(|state| state.register.capital);
                if let Some(after) = after
                    && before != Some(after)
                {
                    folded.points.push((metadata.recorded_at, after));
                }
                folded.next = committed.revision + 1;
            }
        }
        Ok(folded.points.clone())
    }
}
