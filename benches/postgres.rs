//! What the benchmarks share to run on PostgreSQL: a fresh schema per run
//! in the database `--postgres URL` names, so that runs never see each
//! other's events.

use tokio_postgres::NoTls;

/// Makes a new, empty schema in the database at `url`; returns its name
/// and a URL whose connections write in it.
pub async fn fresh_schema(url: &str, purpose: &str) -> (String, String) {
    let schema = format!("agora_bench_{purpose}_{}", uuid::Uuid::now_v7().simple());
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|error| panic!("cannot reach PostgreSQL at --postgres: {error}"));
    let driver = tokio::spawn(connection);
    client
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .await
        .unwrap();
    drop(client);
    let _ = driver.await;
    let separator = if url.contains('?') { '&' } else { '?' };
    let scoped = format!("{url}{separator}options=-c%20search_path%3D{schema}");
    (schema, scoped)
}

/// Drops a schema `fresh_schema` made, with everything in it.
pub async fn drop_schema(url: &str, schema: &str) {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await.unwrap();
    let driver = tokio::spawn(connection);
    client
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .await
        .unwrap();
    drop(client);
    let _ = driver.await;
}
