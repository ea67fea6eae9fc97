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
