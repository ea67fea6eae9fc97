//! The JSON Schema of each event type, checked in under `events/schema/` as
//! `<Type>.v<version>.json` so that changes to the vocabulary show up in
//! review. A test fails when the files and the code disagree; regenerate
//! them with `AGORA_WRITE_SCHEMAS=1 cargo test -p agora-events schema`.

/// Each schema file's name and pretty-printed content, in vocabulary order.
pub fn schema_files() -> Vec<(String, String)> {
    crate::schemas()
        .into_iter()
        .map(|(event_type, version, schema)| {
            let mut text = serde_json::to_string_pretty(&schema).expect("schemas always serialize");
            text.push('\n');
            (format!("{event_type}.v{version}.json"), text)
        })
        .collect()
}
