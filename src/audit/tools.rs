//! The audit commands of the CLI: `verify`, `export`, `import`, `migrate`,
//! `rebuild`, `backup`.
//! Each prints what it found and returns whether all was well.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{BufReader, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use agora_events::CommunitySlug;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::export::{ExportLine, expected_before, line_of, read_lines};
use super::verify::{Verification, same_state};
use super::{verify_lines, verify_store};
use crate::clock::SystemClock;
use crate::ledger::Ledger;
use crate::store::{
    APPEND_EVENTS_MAX, EventStore, KeyStore, LogCursor, Pages, ProposedEvent, SqliteStore, Stores,
};

/// What went wrong, for the command line.
pub type ToolError = Box<dyn std::error::Error + Send + Sync>;

/// A progress bar on standard error, drawn only on a terminal.
fn progress(length: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(length);
    if !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} events ({per_sec})")
            .expect("the template is valid")
            .progress_chars("=> "),
    );
    bar.set_message(what.to_owned());
    bar
}

/// A progress bar for a count not known beforehand.
fn progress_of_unknown_length(what: &str) -> ProgressBar {
    let bar = ProgressBar::no_length();
    if !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar.set_style(
        ProgressStyle::with_template("{msg} {pos} events ({per_sec})")
            .expect("the template is valid"),
    );
    bar.set_message(what.to_owned());
    bar
}

/// Prints a verification; true when it is all well.
pub fn print_verification(
    verification: &Verification,
    out: &mut impl Write,
) -> std::io::Result<bool> {
    writeln!(
        out,
        "{}: {} events, {} verified, chain head {}",
        verification.stream, verification.events, verification.verified, verification.head
    )?;
    match &verification.first_break {
        Some(broken) => writeln!(
            out,
            "  BROKEN at revision {}{}: {}",
            broken.revision,
            broken
                .event_id
                .map(|id| format!(" (event {id})"))
                .unwrap_or_default(),
            broken.reason
        )?,
        None => writeln!(out, "  chain intact")?,
    }
    for check in &verification.checks {
        let mark = if check.holds { "ok  " } else { "FAIL" };
        writeln!(out, "  {mark} {}: {}", check.rule, check.detail)?;
    }
    Ok(verification.ok())
}

/// `agora verify`: a store's streams, or an export file, offline.
pub async fn verify(
    store: Option<Arc<dyn EventStore>>,
    file: Option<&Path>,
    community: Option<&CommunitySlug>,
) -> Result<bool, ToolError> {
    let verifications = match (file, store) {
        (Some(file), _) => {
            let lines = read_lines(BufReader::new(File::open(file)?))?;
            let lines: Vec<ExportLine> = lines
                .into_iter()
                .filter(|line| community.is_none_or(|community| line.stream == community.stream()))
                .collect();
            verify_lines(&lines)
        }
        (None, Some(store)) => verify_store(&*store, community).await?,
        (None, None) => return Err("nothing to verify".into()),
    };
    let mut out = std::io::stdout().lock();
    if verifications.is_empty() {
        writeln!(out, "no events")?;
    }
    let mut ok = true;
    for verification in &verifications {
        ok &= print_verification(verification, &mut out)?;
    }
    Ok(ok)
}

/// `agora export`: a community's log (or every stream) as JSON lines.
pub async fn export(
    store: &dyn EventStore,
    community: Option<&CommunitySlug>,
    out: &mut dyn Write,
) -> Result<u64, ToolError> {
    let mut written = 0;
    let bar = progress(0, "exporting");
    let stream = community.map(CommunitySlug::stream);
    let mut pages = match &stream {
        Some(stream) => Pages::of_stream(store, stream, 0),
        None => Pages::of_log(store, LogCursor::START),
    };
    loop {
        let page = pages.next_page().await?;
        if page.is_empty() {
            break;
        }
        bar.inc_length(page.len() as u64);
        for stored in &page {
            let line = line_of(stored).map_err(|reason| {
                format!(
                    "{} revision {} cannot be read: {reason}",
                    stored.stream, stored.revision
                )
            })?;
            line.write(out)?;
            written += 1;
            bar.inc(1);
        }
    }
    out.flush()?;
    bar.finish_and_clear();
    Ok(written)
}

/// `agora import`: loads a verified export into an empty SQLite store. The
/// events go into a new file beside the target, which replaces the target
/// only once everything is durable: on any error the target is untouched.
pub async fn import(file: &Path, target: &Path) -> Result<u64, ToolError> {
    let lines = verified_lines(file)?;
    if target.exists() && !is_empty_store(target)? {
        return Err(format!(
            "{} is not an empty Agora store: import only into an empty store",
            target.display()
        )
        .into());
    }
    let staging = staging_path(target);
    remove_store_files(&staging)?;
    let written = async {
        let store = SqliteStore::open(&staging)?;
        let written = write_all(&lines, &store).await;
        store.shutdown().await;
        written
    };
    let imported = match written.await {
        Ok(count) => into_one_file(&staging).map(|()| count),
        Err(error) => Err(error),
    };
    match imported {
        Ok(count) => {
            // The old file's WAL must not outlive it (SQLite would read it
            // with the new file); the rename then replaces the file at once.
            remove_side_files(target)?;
            fs::rename(&staging, target)?;
            remove_store_files(&staging)?;
            Ok(count)
        }
        Err(error) => {
            let _ = remove_store_files(&staging);
            Err(error)
        }
    }
}

/// `agora import` into a store another backend keeps (PostgreSQL): the
/// export's events appended through the store's port, if it is empty. A
/// failure half-way leaves what was appended: empty the store (drop its
/// schema) before trying again.
pub async fn import_into(file: &Path, target: &dyn EventStore) -> Result<u64, ToolError> {
    let lines = verified_lines(file)?;
    if !target.streams().await?.is_empty() || target.end_cursor().await? != LogCursor::START {
        return Err("the store is not empty: import only into an empty store".into());
    }
    write_all(&lines, target).await
}

/// The lines of an export whose every chain verifies; a file that does not
/// is refused whole.
fn verified_lines(file: &Path) -> Result<Vec<ExportLine>, ToolError> {
    let lines = read_lines(BufReader::new(File::open(file)?))?;
    let broken: Vec<Verification> = verify_lines(&lines)
        .into_iter()
        .filter(|verification| verification.first_break.is_some())
        .collect();
    if let Some(verification) = broken.first() {
        let mut message = Vec::new();
        print_verification(verification, &mut message)?;
        return Err(format!(
            "the file's chain does not verify; nothing imported\n{}",
            String::from_utf8_lossy(&message)
        )
        .into());
    }
    Ok(lines)
}

/// Moves everything a store's write-ahead log holds into its file and
/// leaves the file in rollback-journal mode (the store turns WAL on again
/// when it opens): the file alone is then the whole store, and can be
/// renamed without its side files. Refuses if anything still holds the
/// log.
fn into_one_file(path: &Path) -> Result<(), ToolError> {
    let connection = rusqlite::Connection::open(path)?;
    let mode: String =
        connection.query_row("PRAGMA journal_mode = DELETE", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("delete") {
        return Err(format!(
            "{} is still in use: its write-ahead log could not be emptied (journal mode {mode})",
            path.display()
        )
        .into());
    }
    Ok(())
}

fn staging_path(target: &Path) -> PathBuf {
    let mut staging = target.as_os_str().to_owned();
    staging.push(format!(".import-{}", std::process::id()));
    PathBuf::from(staging)
}

/// Whether an existing file is an empty store (or an empty SQLite file),
/// looked at read-only: the check changes nothing, whatever the file is.
fn is_empty_store(path: &Path) -> Result<bool, ToolError> {
    use rusqlite::{Connection, OpenFlags};
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let tables: Vec<String> = connection
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table'")?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    if tables.is_empty() {
        return Ok(true);
    }
    if !tables.iter().any(|table| table == "events") {
        return Ok(false);
    }
    let events: i64 = connection.query_row("SELECT COUNT(*) FROM events", [], |row| row.get(0))?;
    Ok(events == 0)
}

/// Removes a store's WAL and shared-memory files, and its index file (the
/// index is filed again from the log at the next start).
fn remove_side_files(path: &Path) -> std::io::Result<()> {
    remove_with_suffixes(
        path,
        &["-wal", "-shm", "-index", "-index-wal", "-index-shm"],
    )
}

/// Removes a store file and its WAL, shared-memory, index and lock files.
fn remove_store_files(path: &Path) -> std::io::Result<()> {
    remove_with_suffixes(
        path,
        &[
            "",
            "-wal",
            "-shm",
            ".lock",
            "-index",
            "-index-wal",
            "-index-shm",
        ],
    )
}

fn remove_with_suffixes(path: &Path, suffixes: &[&str]) -> std::io::Result<()> {
    for suffix in suffixes {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        match fs::remove_file(PathBuf::from(file)) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error),
            _ => {}
        }
    }
    Ok(())
}

async fn write_all(lines: &[ExportLine], store: &dyn EventStore) -> Result<u64, ToolError> {
    let bar = progress(lines.len() as u64, "importing");
    let mut by_stream: BTreeMap<&str, Vec<&ExportLine>> = BTreeMap::new();
    for line in lines {
        by_stream.entry(&line.stream).or_default().push(line);
    }
    let mut count = 0;
    for (stream, lines) in by_stream {
        let proposed: Vec<ProposedEvent> = lines.iter().map(|line| line.proposed()).collect();
        let mut revision = lines[0].revision;
        for append in appends_of(&proposed, store.append_bytes_max()) {
            store
                .append(stream, expected_before(revision), append.to_vec())
                .await?;
            revision += append.len() as u64;
            count += append.len() as u64;
            bar.inc(append.len() as u64);
        }
    }
    bar.finish_and_clear();
    Ok(count)
}

/// `agora migrate`: every stream of `source` into `target`, which must be
/// empty, in the log's order, with each event's id, type and bytes (so its
/// hash) unchanged, and the personal-data keys as they are wrapped. Both
/// stores are then verified; true only if the target's chains, heads,
/// figures and keys are the source's. Snapshots, verified marks and the
/// index are not copied: the target's first start makes them again.
pub async fn migrate(source: &Stores, target: &Stores) -> Result<bool, ToolError> {
    let (copied, keys) = copy_store(source, target).await?;
    let before = verify_store(&*source.events, None).await?;
    let after = verify_store(&*target.events, None).await?;
    let mut out = std::io::stdout().lock();
    let mut ok = true;
    for verification in &after {
        ok &= print_verification(verification, &mut out)?;
    }
    let summary = |verifications: &[Verification]| -> Vec<_> {
        verifications
            .iter()
            .map(|v| {
                // Snapshots are not copied: the source's is no concern of
                // the target's.
                let checks: Vec<_> = v
                    .checks
                    .iter()
                    .filter(|check| check.rule != super::verify::SNAPSHOT_EQUALS_LOG)
                    .map(|check| (check.rule, check.holds, check.detail.clone()))
                    .collect();
                (
                    v.stream.clone(),
                    v.events,
                    v.head,
                    v.first_break.is_none(),
                    checks,
                )
            })
            .collect()
    };
    if summary(&before) != summary(&after) {
        writeln!(
            out,
            "the target's chains or figures differ from the source's"
        )?;
        ok = false;
    }
    let kept = target.keys.load_keys().await?;
    if kept != keys {
        writeln!(
            out,
            "the target's personal-data keys differ from the source's"
        )?;
        ok = false;
    }
    if ok {
        writeln!(
            out,
            "migrated {copied} events of {} streams and {} personal-data keys; \
             the target's chains and figures are the source's",
            after.len(),
            keys.len()
        )?;
    }
    Ok(ok)
}

/// Copies every stream of `source` into the empty `target`, in the log's
/// order, ids and bytes unchanged, then the personal-data keys as they are
/// wrapped. Each stream is copied up to where it stood when the copy
/// reached it. Returns how many events were copied, and the keys.
async fn copy_store(
    stores: &Stores,
    into: &Stores,
) -> Result<(u64, Vec<crate::store::StoredKey>), ToolError> {
    let (source, target) = (&*stores.events, &*into.events);
    if !target.streams().await?.is_empty() || target.end_cursor().await? != LogCursor::START {
        return Err("the target store is not empty: copy only into an empty store".into());
    }
    let bar = progress_of_unknown_length("copying");
    let mut pages = Pages::of_log(source, LogCursor::START);
    let mut copied = 0;
    loop {
        let page = pages.next_page().await?;
        if page.is_empty() {
            break;
        }
        for run in page.chunk_by(|a, b| a.stream == b.stream) {
            let proposed: Vec<ProposedEvent> = run
                .iter()
                .map(|event| ProposedEvent {
                    event_id: event.event_id,
                    event_type: event.event_type.clone(),
                    data: event.data.clone(),
                    metadata: event.metadata.clone(),
                })
                .collect();
            let mut revision = run[0].revision;
            for append in appends_of(&proposed, target.append_bytes_max()) {
                target
                    .append(&run[0].stream, expected_before(revision), append.to_vec())
                    .await?;
                revision += append.len() as u64;
                copied += append.len() as u64;
                bar.inc(append.len() as u64);
            }
        }
    }
    let keys = stores.keys.load_keys().await?;
    for (id, key) in &keys {
        into.keys.put_key(*id, key.clone()).await?;
    }
    bar.finish_and_clear();
    Ok((copied, keys))
}

/// A stream's run of events cut into appends the store takes: at most
/// [`APPEND_EVENTS_MAX`] events and `bytes_max` bytes each (the store's
/// [`EventStore::append_bytes_max`]).
fn appends_of(run: &[ProposedEvent], bytes_max: usize) -> Vec<&[ProposedEvent]> {
    let mut appends = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (at, event) in run.iter().enumerate() {
        let size = event.bytes();
        if at > start && (at - start == APPEND_EVENTS_MAX || bytes + size > bytes_max) {
            appends.push(&run[start..at]);
            (start, bytes) = (at, 0);
        }
        bytes += size;
    }
    if start < run.len() {
        appends.push(&run[start..]);
    }
    appends
}

/// `agora rebuild`: the state the ledger builds as it loads, against a
/// fresh, independent replay of every community's log.
pub async fn rebuild(stores: Stores, options: crate::ledger::Options) -> Result<bool, ToolError> {
    let store = Arc::clone(&stores.events);
    let ledger = Ledger::open_with(stores, Arc::new(SystemClock), options).await?;
    let mut out = std::io::stdout().lock();
    let mut ok = true;
    for community in ledger.communities() {
        let live = ledger.view(&community).expect("listed communities exist");
        let verifier = super::verify_stream(&*store, &community.stream()).await?;
        let check = verifier
            .state()
            .map(|replayed| same_state(&live.state, replayed));
        let holds = check.as_ref().is_some_and(|check| check.holds);
        ok &= holds;
        let detail = check.map_or_else(
            || "the log founds no community".to_owned(),
            |check| check.detail,
        );
        writeln!(
            out,
            "{community}: {} — {detail}",
            if holds { "ok" } else { "DIFFERS" }
        )?;
    }
    ledger.shutdown().await;
    Ok(ok)
}

/// `agora report`: the assembly report of one community, from the store.
pub async fn report(
    store: &dyn EventStore,
    community: &CommunitySlug,
    from: Option<&str>,
    to: Option<&str>,
    format: &str,
    out: &mut dyn Write,
) -> Result<(), ToolError> {
    use super::report::{Format, build, parse_bound};
    let format: Format = format.parse()?;
    let mut events = Vec::new();
    for stored in super::stream_events(store, &community.stream()).await? {
        let line = line_of(&stored)?;
        events.push(crate::ledger::Committed {
            position: stored.position,
            revision: stored.revision,
            record: std::sync::Arc::new(line.record()),
        });
    }
    let Some(first) = events.first() else {
        return Err(format!("there is no community {community}").into());
    };
    let created = first.record.decode()?.1.recorded_at;
    let from = from
        .map(|text| parse_bound(text, false))
        .transpose()?
        .unwrap_or(created);
    let to = match to {
        Some(text) => parse_bound(text, true)?,
        None => agora_events::Timestamp::new(chrono::Utc::now()),
    };
    let report = build(&events, from, to)?;
    out.write_all(report.render(format).1.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// `agora export --format fec|csv`: the accounting entries of one
/// community over a period, members named as the ledger's keys allow.
/// Answers how many entries were written.
pub async fn accounting(
    ledger: &Ledger,
    community: &CommunitySlug,
    (from, to): (Option<&str>, Option<&str>),
    csv: bool,
    out: &mut dyn Write,
) -> Result<usize, ToolError> {
    use super::fec;
    use super::report::parse_bound;
    let Some(view) = ledger.view(community) else {
        return Err(format!("there is no community {community}").into());
    };
    let from = from
        .map(|text| parse_bound(text, false))
        .transpose()?
        .unwrap_or(view.state.created_at);
    let to = match to {
        Some(text) => parse_bound(text, true)?,
        None => agora_events::Timestamp::new(chrono::Utc::now()),
    };
    if to <= from {
        return Err("the period ends before it starts".to_owned().into());
    }
    let events = ledger.read_whole_log(community).await?;
    let entries = fec::entries(&events, from, to)?;
    let names = fec::OpenedNames {
        ledger,
        community: &view.state,
    };
    let text = if csv {
        fec::render_csv(&entries, &names)
    } else {
        fec::render_fec(&entries, &names)
    };
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(entries.len())
}

/// `agora backup`: a consistent copy of the store, keys included, made
/// under a temporary name beside the target, verified, then given its name
/// without ever replacing a file. On any failure nothing is left under the
/// target's name. Restoring is copying it back while the service is stopped.
pub async fn backup(store: BackupSource<'_>, copy: &Path) -> Result<bool, ToolError> {
    if copy.exists() {
        return Err(format!(
            "{} already exists: a backup never overwrites a file",
            copy.display()
        )
        .into());
    }
    let staging = {
        let mut name = copy.as_os_str().to_owned();
        name.push(format!(".partial-{}", std::process::id()));
        PathBuf::from(name)
    };
    remove_store_files(&staging)?;
    let checked = copy_and_verify(store, &staging).await;
    let published = match checked {
        Ok((true, events, keys)) => {
            // A hard link gives the copy its name only if the name is free;
            // syncing the folder makes the name durable.
            fs::hard_link(&staging, copy)
                .and_then(|()| {
                    match copy
                        .parent()
                        .filter(|parent| !parent.as_os_str().is_empty())
                    {
                        Some(parent) => File::open(parent)?.sync_all(),
                        None => File::open(".")?.sync_all(),
                    }
                })
                .map(|()| (true, events, keys))
                .map_err(ToolError::from)
        }
        Ok((false, events, keys)) => Ok((false, events, keys)),
        Err(error) => Err(error),
    };
    remove_store_files(&staging)?;
    let (ok, events, keys) = published?;
    let mut out = std::io::stdout().lock();
    if ok {
        writeln!(
            out,
            "backup {} written: {events} events, {keys} personal-data keys",
            copy.display()
        )?;
    } else {
        writeln!(out, "the copy does not verify: no backup written")?;
    }
    Ok(ok)
}

/// What a backup copies.
#[derive(Clone, Copy)]
pub enum BackupSource<'a> {
    /// The embedded store's file: copied whole, as SQLite sees it at one
    /// instant.
    File(&'a Path),
    /// A store another backend keeps (PostgreSQL): copied through the port
    /// into an embedded store file, stream by stream. Each stream is copied
    /// up to where it stood when the copy reached it, so every chain in
    /// the copy is whole even while the service writes.
    Store(&'a Stores),
}

/// Copies the store into `staging`, syncs it, and verifies its chains.
/// Returns whether all verified, and the events and keys it holds.
async fn copy_and_verify(
    store: BackupSource<'_>,
    staging: &Path,
) -> Result<(bool, u64, usize), ToolError> {
    match store {
        BackupSource::File(store) => crate::store::backup(store, staging)?,
        BackupSource::Store(store) => {
            let copy = Arc::new(SqliteStore::open(staging)?);
            let copied = copy_store(store, &Stores::from(Arc::clone(&copy))).await;
            copy.shutdown().await;
            drop(copy);
            copied?;
            into_one_file(staging)?;
        }
    }
    File::open(staging)?.sync_all()?;
    let opened = SqliteStore::open(staging)?;
    let verifications = verify_store(&opened, None).await;
    let keys = opened.load_keys().await.map(|keys| keys.len());
    opened.shutdown().await;
    drop(opened);
    let (verifications, keys) = (verifications?, keys?);
    let mut out = std::io::stdout().lock();
    let mut ok = true;
    for verification in &verifications {
        ok &= print_verification(verification, &mut out)?;
    }
    let events = verifications
        .iter()
        .map(|verification| verification.events)
        .sum();
    Ok((ok, events, keys))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(bytes: usize) -> ProposedEvent {
        ProposedEvent {
            event_id: uuid::Uuid::now_v7(),
            event_type: "Tested".into(),
            data: vec![b'x'; bytes],
            metadata: Vec::new(),
        }
    }

    #[test]
    fn a_run_is_cut_where_the_store_says_and_never_loses_an_event() {
        let run: Vec<ProposedEvent> = [400, 400, 300, 900, 1_500, 10].map(event).into();

        let appends = appends_of(&run, 1_000);

        let sizes: Vec<Vec<usize>> = appends
            .iter()
            .map(|append| append.iter().map(ProposedEvent::bytes).collect())
            .collect();
        // An event larger than the limit goes alone: the store names it.
        assert_eq!(
            sizes,
            [vec![400, 400], vec![300], vec![900], vec![1_500], vec![10]]
        );
        let events = vec![event(1); APPEND_EVENTS_MAX + 1];
        let lengths: Vec<usize> = appends_of(&events, usize::MAX)
            .iter()
            .map(|a| a.len())
            .collect();
        assert_eq!(lengths, [APPEND_EVENTS_MAX, 1]);
    }
}
