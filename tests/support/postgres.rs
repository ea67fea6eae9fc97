//! A PostgreSQL database for tests: `AGORA_TEST_POSTGRES_URL` names it.
//! Without the variable the tests that need one say they were skipped and
//! pass; with `AGORA_REQUIRE_POSTGRES` set (CI sets both) its absence fails
//! them instead.

use tokio_postgres::NoTls;

/// The variable that names the test database.
pub const URL_VARIABLE: &str = "AGORA_TEST_POSTGRES_URL";

/// A URL of the test database whose connections write in a new, empty
/// schema of their own; `None` (and a line saying the test was skipped)
/// without a test database.
pub async fn fresh_schema() -> Option<String> {
    let Ok(url) = std::env::var(URL_VARIABLE) else {
        assert!(
            std::env::var_os("AGORA_REQUIRE_POSTGRES").is_none(),
            "AGORA_REQUIRE_POSTGRES is set but {URL_VARIABLE} is not"
        );
        eprintln!("skipped: {URL_VARIABLE} is not set, so there is no PostgreSQL to test against");
        return None;
    };
    let schema = format!("agora_test_{}", uuid::Uuid::now_v7().simple());
    let (client, connection) = tokio_postgres::connect(&url, NoTls)
        .await
        .unwrap_or_else(|error| {
            panic!("cannot reach the test database at {URL_VARIABLE}: {error}")
        });
    let driver = tokio::spawn(connection);
    client
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .await
        .unwrap();
    drop(client);
    let _ = driver.await;
    let separator = if url.contains('?') { '&' } else { '?' };
    Some(format!(
        "{url}{separator}options=-c%20search_path%3D{schema}"
    ))
}
