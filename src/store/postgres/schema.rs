//! The store's tables, created or migrated at open.

use deadpool_postgres::Client;

use super::translate;
use crate::store::StoreError;

/// Migrations: entry `n` takes a schema from version `n` to `n + 1`.
/// Applied in one transaction, under a lock that instances starting
/// together take in turn.
const MIGRATIONS: &[&str] = &["
    CREATE TABLE agora_log_head (
        single        boolean PRIMARY KEY DEFAULT true CHECK (single),
        next_position bigint  NOT NULL
    );
    INSERT INTO agora_log_head (next_position) VALUES (0);
    CREATE TABLE agora_events (
        position   bigint PRIMARY KEY,
        stream     text   NOT NULL,
        revision   bigint NOT NULL,
        event_id   uuid   NOT NULL UNIQUE,
        event_type text   NOT NULL,
        data       bytea  NOT NULL,
        metadata   bytea  NOT NULL,
        UNIQUE (stream, revision)
    );
    CREATE TABLE agora_streams (
        stream        text   PRIMARY KEY,
        last_revision bigint NOT NULL
    );
    CREATE TABLE agora_index (
        stream   text   NOT NULL,
        key      text   NOT NULL,
        revision bigint NOT NULL,
        PRIMARY KEY (stream, key, revision)
    );
    CREATE TABLE agora_index_marks (
        stream  text   PRIMARY KEY,
        through bigint NOT NULL
    );
    CREATE TABLE agora_snapshots (
        stream   text   PRIMARY KEY,
        revision bigint NOT NULL,
        data     bytea  NOT NULL
    );
    CREATE TABLE agora_verified_marks (
        stream   text   PRIMARY KEY,
        revision bigint NOT NULL,
        head     bytea  NOT NULL
    );
    CREATE TABLE agora_keys (
        id  uuid  PRIMARY KEY,
        key bytea NOT NULL
    );
"];

/// Creates or migrates the schema; returns the channel its commits are
/// notified on.
pub(super) async fn migrate(client: &mut Client) -> Result<String, StoreError> {
    let transaction = client.transaction().await.map_err(translate)?;
    let schema: String = transaction
        .query_one("SELECT current_schema()", &[])
        .await
        .map_err(translate)?
        .try_get(0)
        .map_err(|_| StoreError::Unavailable("the connection has no schema to write in".into()))?;
    transaction
        .execute(
            "SELECT pg_advisory_xact_lock(hashtext('agora schema ' || current_schema()))",
            &[],
        )
        .await
        .map_err(translate)?;
    transaction
        .batch_execute("CREATE TABLE IF NOT EXISTS agora_schema (version integer NOT NULL)")
        .await
        .map_err(translate)?;
    let version: Option<i32> = transaction
        .query_opt("SELECT version FROM agora_schema", &[])
        .await
        .map_err(translate)?
        .map(|row| row.get(0));
    let version = version.unwrap_or(0);
    let known = MIGRATIONS.len() as i32;
    if version > known {
        return Err(StoreError::Unavailable(format!(
            "the store has schema version {version}; this build knows up to {known}"
        )));
    }
    for migration in &MIGRATIONS[version as usize..] {
        transaction
            .batch_execute(migration)
            .await
            .map_err(translate)?;
    }
    transaction
        .execute("DELETE FROM agora_schema", &[])
        .await
        .map_err(translate)?;
    transaction
        .execute("INSERT INTO agora_schema (version) VALUES ($1)", &[&known])
        .await
        .map_err(translate)?;
    transaction.commit().await.map_err(translate)?;
    // A channel name is an identifier of at most 63 bytes; a schema's name
    // may take them all.
    let digest = agora_events::Hash::of(schema.as_bytes()).to_string();
    Ok(format!("agora_log_{}", &digest[..16]))
}

/// `name` as a quoted SQL identifier.
pub(super) fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
