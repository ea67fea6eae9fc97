//! Which events concern which entity: every id an event's data mentions
//! (pioneers, projects, exchanges, ballots, allocations…, and the ids inside
//! account names such as `pioneer:<uuid>`), mapped to the revisions of the
//! events that mention it. It serves `history/{id}`.
//!
//! Append-only and shared: the writer adds to it after each durable batch;
//! readers take a read lock just long enough to copy the revisions they need.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, RwLock};

use serde_json::Value;
use uuid::Uuid;

use super::Committed;

/// Entity id → revisions of the events about it, in order.
#[derive(Debug, Default)]
pub struct EntityIndex {
    revisions: HashMap<Uuid, Vec<u64>>,
}

/// The index as writers and readers share it.
pub type SharedIndex = Arc<RwLock<EntityIndex>>;

impl EntityIndex {
    /// Records which entities `committed` is about.
    pub fn add(&mut self, committed: &Committed) {
        let mut ids = BTreeSet::new();
        ids_in(&committed.record.data, &mut ids);
        for id in ids {
            self.revisions
                .entry(id)
                .or_default()
                .push(committed.revision);
        }
    }

    /// The revisions of the events about `id`, oldest first.
    pub fn revisions_of(&self, id: Uuid) -> &[u64] {
        self.revisions.get(&id).map_or(&[], Vec::as_slice)
    }
}

/// Every id in `value`: UUID strings, and the UUID of `kind:<uuid>` strings.
fn ids_in(value: &Value, ids: &mut BTreeSet<Uuid>) {
    match value {
        Value::String(text) => {
            let candidate = text.split_once(':').map_or(text.as_str(), |(_, id)| id);
            if candidate.len() == 36
                && let Ok(id) = Uuid::parse_str(candidate)
            {
                ids.insert(id);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| ids_in(item, ids)),
        Value::Object(members) => members.values().for_each(|member| ids_in(member, ids)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_are_found_anywhere_in_the_data_including_account_names() {
        let a = Uuid::now_v7();
        let b = Uuid::now_v7();
        let c = Uuid::now_v7();
        let data = json!({"payer": format!("pioneer:{a}"), "nested": [{"ballot_id": b.to_string()}],
            "electorate": [{"pioneer_id": c.to_string(), "college": "x"}], "hours": "1.00"});
        let mut ids = BTreeSet::new();
        ids_in(&data, &mut ids);
        assert_eq!(ids, [a, b, c].into_iter().collect());
    }
}
