//! The checked-in schemas under `events/schema/` match the code.

use std::fs;
use std::path::Path;

#[test]
fn schema_files_match_the_event_types() {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema");
    let expected = agora_events::schema::schema_files();
    if std::env::var_os("AGORA_WRITE_SCHEMAS").is_some() {
        fs::create_dir_all(&directory).unwrap();
        for entry in fs::read_dir(&directory).unwrap() {
            fs::remove_file(entry.unwrap().path()).unwrap();
        }
        for (name, text) in &expected {
            fs::write(directory.join(name), text).unwrap();
        }
    }

    let mut on_disk: Vec<String> = fs::read_dir(&directory)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    on_disk.sort();
    let mut names: Vec<String> = expected.iter().map(|(name, _)| name.clone()).collect();
    names.sort();
    assert_eq!(
        on_disk, names,
        "schema files differ from the event types; run AGORA_WRITE_SCHEMAS=1 cargo test -p agora-events schema"
    );
    for (name, text) in expected {
        let written = fs::read_to_string(directory.join(&name)).unwrap();
        assert_eq!(
            written, text,
            "{name} is stale; run AGORA_WRITE_SCHEMAS=1 cargo test -p agora-events schema"
        );
    }
}
