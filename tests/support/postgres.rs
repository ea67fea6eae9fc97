//! A PostgreSQL database for tests and benchmarks. For tests,
//! `AGORA_TEST_POSTGRES_URL` names it: without the variable the tests that
//! need one say they were skipped and pass; with `AGORA_REQUIRE_POSTGRES`
//! set (CI sets both) its absence fails them instead. Each test, and each
//! benchmark run, writes in a fresh schema of its own.

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
    Some(new_schema(&url, "test").await.1)
}

/// Makes a new, empty schema named after `purpose` in the database at
/// `url`; returns its name and a URL whose connections write in it.
pub async fn new_schema(url: &str, purpose: &str) -> (String, String) {
    let schema = format!("agora_{purpose}_{}", uuid::Uuid::now_v7().simple());
    run(url, &format!("CREATE SCHEMA {schema}")).await;
    let separator = if url.contains('?') { '&' } else { '?' };
    let scoped = format!("{url}{separator}options=-c%20search_path%3D{schema}");
    (schema, scoped)
}

/// Drops a schema `new_schema` made, with everything in it (the
/// benchmarks do; a test database is thrown away whole).
#[allow(dead_code)]
pub async fn drop_schema(url: &str, schema: &str) {
    run(url, &format!("DROP SCHEMA {schema} CASCADE")).await;
}

async fn run(url: &str, statement: &str) {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|error| panic!("cannot reach PostgreSQL at {url}: {error}"));
    let driver = tokio::spawn(connection);
    client.batch_execute(statement).await.unwrap();
    drop(client);
    let _ = driver.await;
}

/// A URL of a fresh schema that connects over TLS and verifies the server
/// against the tests' certificate authority (`AGORA_TEST_POSTGRES_CA`, which
/// `.ci/postgres.sh` makes for `localhost`), named `application` on the
/// server; `None` (and a line saying the test was skipped) without one.
#[allow(dead_code)]
pub async fn fresh_schema_over_tls(application: &str) -> Option<String> {
    let Ok(authority) = std::env::var("AGORA_TEST_POSTGRES_CA") else {
        assert!(
            std::env::var_os("AGORA_REQUIRE_POSTGRES").is_none(),
            "AGORA_REQUIRE_POSTGRES is set but AGORA_TEST_POSTGRES_CA is not"
        );
        eprintln!("skipped: AGORA_TEST_POSTGRES_CA is not set, so there is no TLS to test");
        return None;
    };
    let url = fresh_schema().await?;
    // The certificate names `localhost`.
    let url = url.replacen("@127.0.0.1:", "@localhost:", 1);
    Some(format!(
        "{url}&application_name={application}&sslmode=verify-full&sslrootcert={authority}"
    ))
}

/// Runs one query on the test database, plain, and gives the first column
/// of its first row.
#[allow(dead_code)]
pub async fn query_one_i64(url: &str, query: &str) -> i64 {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await.unwrap();
    let driver = tokio::spawn(connection);
    let value = client.query_one(query, &[]).await.unwrap().get(0);
    drop(client);
    let _ = driver.await;
    value
}
