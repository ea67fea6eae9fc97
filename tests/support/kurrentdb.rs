//! A KurrentDB (EventStoreDB) server for tests: `AGORA_TEST_KURRENTDB_URL`
//! names it (a connection string such as
//! `kurrentdb://localhost:2113?tls=false`). Without the variable the tests
//! that need one say they were skipped and pass: no server can be installed
//! where CI runs, so CI builds and lints this adapter without running it.
//! Each test writes under a namespace of its own.
#![allow(
    dead_code,
    reason = "not every test file that shares this folder uses it"
)]

/// The variable that names the test server.
pub const URL_VARIABLE: &str = "AGORA_TEST_KURRENTDB_URL";

/// A connection string to the test server, in a new namespace; `None` (and
/// a line saying the test was skipped) without a test server.
pub fn fresh_namespace() -> Option<String> {
    let Ok(url) = std::env::var(URL_VARIABLE) else {
        eprintln!("skipped: {URL_VARIABLE} is not set, so there is no KurrentDB to test against");
        return None;
    };
    let separator = if url.contains('?') { '&' } else { '?' };
    let namespace = format!("test-{}", uuid::Uuid::now_v7().simple());
    Some(format!("{url}{separator}namespace={namespace}"))
}
