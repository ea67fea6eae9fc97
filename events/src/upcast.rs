//! Upcasting: old versions of an event's data are rewritten to the current
//! version when read, so the rest of the code knows only the current shape.
//! The log itself is never rewritten, and hashes cover the data as recorded.
//!
//! To change an event's shape: bump its version in `kinds/mod.rs`, add a
//! step from the old version here (`(type, old) => new data`), keep the old
//! schema file, and add a test that decodes a recorded old event. Every
//! event is at version 1 today, so there are no steps yet.

use serde_json::Value;

use crate::kinds::{DecodeError, current_version};

/// Brings `data` recorded at `version` up to the current version of `event_type`.
pub fn upcast(event_type: &str, version: u32, data: Value) -> Result<Value, DecodeError> {
    let current = current_version(event_type)
        .ok_or_else(|| DecodeError::UnknownType(event_type.to_owned()))?;
    let unknown = || DecodeError::UnknownVersion {
        event_type: event_type.to_owned(),
        version,
        current,
    };
    let mut data = data;
    let mut at = version;
    while at < current {
        data = step(event_type, at, data).ok_or_else(unknown)?;
        at += 1;
    }
    if at == current {
        Ok(data)
    } else {
        Err(unknown())
    }
}

/// One step from `version` to `version + 1`, where one exists.
fn step(_event_type: &str, _version: u32, _data: Value) -> Option<Value> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn current_versions_pass_through_unchanged() {
        let data = json!({"pioneer_id": "00000000-0000-0000-0000-000000000001"});
        assert_eq!(upcast("PioneerLeft", 1, data.clone()), Ok(data));
    }

    #[test]
    fn unknown_types_and_versions_are_refused() {
        assert_eq!(
            upcast("PioneerVanished", 1, json!({})),
            Err(DecodeError::UnknownType("PioneerVanished".into()))
        );
        let future = DecodeError::UnknownVersion {
            event_type: "PioneerLeft".into(),
            version: 2,
            current: 1,
        };
        assert_eq!(upcast("PioneerLeft", 2, json!({})), Err(future));
        assert!(upcast("PioneerLeft", 0, json!({})).is_err());
    }
}
