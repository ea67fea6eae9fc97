//! The dependency direction is the architecture: the vocabulary and the
//! projections are pure crates, so neither may depend on the async runtime,
//! the web framework or a database driver.

use std::process::Command;

fn dependencies_of(package: &str) -> Vec<String> {
    let output = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "--edges",
            "normal",
            "--prefix",
            "none",
            "--package",
            package,
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
        .collect()
}

#[test]
fn the_pure_crates_know_no_runtime_framework_or_database() {
    for package in ["agora-events", "agora-projections"] {
        let dependencies = dependencies_of(package);
        assert!(
            dependencies.iter().any(|name| name == "serde"),
            "{package}: {dependencies:?}"
        );
        for forbidden in ["tokio", "axum", "hyper", "rusqlite", "kurrentdb", "reqwest"] {
            assert!(
                !dependencies.iter().any(|name| name == forbidden),
                "{package} depends on {forbidden}"
            );
        }
    }
}

/// Every type published in the OpenAPI document by name: (name, file).
fn schema_types(directory: &std::path::Path, found: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(directory).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            schema_types(&path, found);
            continue;
        }
        if path.extension().is_none_or(|extension| extension != "rs") {
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap();
        let mut deriving = false;
        for line in source.lines().map(str::trim) {
            if line.starts_with("#[derive(") && line.contains("ToSchema") {
                deriving = true;
            } else if deriving && !line.starts_with("#[") && !line.starts_with("///") {
                let name = line
                    .strip_prefix("pub ")
                    .unwrap_or(line)
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or_default()
                    .trim_end_matches(['{', '(', '<', ';']);
                found.push((name.to_owned(), path.display().to_string()));
                deriving = false;
            }
        }
    }
}

/// utoipa keys components by the type's name: two types of one name make
/// one of them vanish from the document, and clients generated from it
/// send the wrong body.
#[test]
fn every_published_type_has_a_name_of_its_own() {
    let mut found = Vec::new();
    schema_types(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut found,
    );
    assert!(found.len() > 20, "{found:?}");
    found.sort();
    let twice: Vec<_> = found
        .windows(2)
        .filter(|pair| pair[0].0 == pair[1].0)
        .collect();
    assert!(
        twice.is_empty(),
        "published twice under one name: {twice:?}"
    );
}
