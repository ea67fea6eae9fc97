//! The keys each event is filed under in the store's index, written in the
//! same transaction as the event, so that reads about one thing never walk
//! the whole log and nothing about history is held in memory:
//!
//! - `entity:<uuid>`: every id the event's data mentions (pioneers,
//!   projects, exchanges, ballots, allocations…, and the id inside account
//!   names such as `pioneer:<uuid>`). Serves `history/{id}`.
//! - `account:<account>`: the accounts whose credits the event moves.
//!   Serves statements.
//! - `command:<length of actor>:<actor>:<command id>`: the command that
//!   recorded the event, scoped to its caller (idempotency keys belong to
//!   the caller who sent them). Serves retries.

use std::collections::BTreeSet;

use agora_events::{AccountId, Event, EventRecord, Metadata};
use agora_projections::Movement;
use serde_json::Value;
use uuid::Uuid;

/// The key of the events that mention entity `id`.
pub fn entity_key(id: Uuid) -> String {
    format!("entity:{id}")
}

/// The key of the events that move `account`'s credits.
pub fn account_key(account: AccountId) -> String {
    format!("account:{account}")
}

/// The key of the events recorded by `actor`'s command `command_id`. The
/// actor's length comes first, so no pair of actor and id can pass for
/// another.
pub fn command_key(actor: &str, command_id: &str) -> String {
    format!("command:{}:{actor}:{command_id}", actor.len())
}

/// Every key an event is filed under.
pub fn keys(data: &Value, event: &Event, metadata: &Metadata) -> Vec<String> {
    let mut ids = BTreeSet::new();
    ids_in(data, &mut ids);
    let mut keys: Vec<String> = ids.into_iter().map(entity_key).collect();
    if let Some(movement) = Movement::of(event) {
        keys.push(account_key(movement.payer));
        if movement.payee != movement.payer {
            keys.push(account_key(movement.payee));
        }
    }
    keys.push(command_key(&metadata.actor.id, &metadata.command_id));
    keys
}

/// Every key a recorded event is filed under, decoding it first.
pub fn keys_of(record: &EventRecord) -> Result<Vec<String>, agora_events::DecodeError> {
    let (event, metadata) = record.decode()?;
    Ok(keys(&record.data, &event, &metadata))
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

    #[test]
    fn command_keys_of_different_callers_never_coincide() {
        // Without the length, ("a:b", "c") and ("a", "b:c") would share a key.
        assert_ne!(command_key("a:b", "c"), command_key("a", "b:c"));
        assert_eq!(command_key("gardener", "k-1"), "command:8:gardener:k-1");
    }
}
