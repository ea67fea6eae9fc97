//! What the assembly's page folds from a community's log: every event's
//! link and hash checked, the figures, and the capital after each change.
//! Folded once, then only from where the last fold stopped, so a page view
//! reads only the events recorded since the one before, and one community's
//! fold never waits for another's.
//!
//! The check covers each event as this process first read it; `agora
//! verify` and the check the service runs in the background at start-up
//! read the whole log again.

use std::collections::HashMap;
use std::sync::Arc;

use agora_events::{CommunitySlug, Euros, Timestamp};
use tokio::sync::Mutex;

use crate::audit::verify::{Verification, Verifier};
use crate::ledger::{Ledger, LedgerError};
use crate::store::Pages;

/// Per community, its fold.
#[derive(Default)]
pub struct AssemblyFolds {
    folds: std::sync::Mutex<HashMap<CommunitySlug, Arc<Mutex<Fold>>>>,
}

struct Fold {
    verifier: Verifier,
    /// The capital after each event that changed it.
    points: Vec<(Timestamp, Euros)>,
}

/// The fold as it stands after the latest event read.
pub struct Folded {
    pub verification: Verification,
    pub capital: Vec<(Timestamp, Euros)>,
}

impl AssemblyFolds {
    /// The community's log checked and folded through its latest event.
    pub async fn of(
        &self,
        ledger: &Ledger,
        community: &CommunitySlug,
    ) -> Result<Folded, LedgerError> {
        let fold = {
            let mut folds = self.folds.lock().unwrap_or_else(|p| p.into_inner());
            Arc::clone(folds.entry(community.clone()).or_insert_with(|| {
                Arc::new(Mutex::new(Fold {
                    verifier: Verifier::new(community.stream()),
                    points: Vec::new(),
                }))
            }))
        };
        let mut fold = fold.lock().await;
        let stream = community.stream();
        let store = ledger.store();
        let mut pages = Pages::of_stream(&**store, &stream, fold.verifier.events_read());
        loop {
            let page = pages.next_page().await?;
            if page.is_empty() {
                break;
            }
            for stored in &page {
                let before = fold.verifier.state().map(|state| state.register.capital);
                fold.verifier.push_stored(stored);
                let after = fold.verifier.state().map(|state| state.register.capital);
                if let (Some(after), Some(at)) = (after, fold.verifier.last_recorded_at())
                    && before != Some(after)
                {
                    fold.points.push((at, after));
                }
            }
        }
        Ok(Folded {
            verification: fold.verifier.verification(),
            capital: fold.points.clone(),
        })
    }
}
