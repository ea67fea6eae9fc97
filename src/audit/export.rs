//! The export format: one JSON object per line, one line per event, in each
//! stream's order; the exact recorded events, chain links included. Keys
//! personal data is sealed with are never exported.
//!
//! ```json
//! {"stream":"community-x","revision":0,"event_id":"…","type":"CommunityCreated","version":1,
//!  "data":{…},"metadata":{…},"prev_hash":"00…","hash":"…"}
//! ```
//!
//! Global positions are not exported: they belong to one store. Importing
//! into an empty store and exporting again gives the same bytes.

use std::io::{BufRead, Write};

use agora_events::{EventId, EventRecord, Hash};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::ledger::Committed;
use crate::store::{ExpectedRevision, ProposedEvent, StoredEvent};

/// Longest line accepted in an export file.
pub const EXPORT_LINE_BYTES_MAX: usize = 2 << 20;

/// One exported event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportLine {
    pub stream: String,
    pub revision: u64,
    pub event_id: Uuid,
    #[serde(rename = "type")]
    pub event_type: String,
    pub version: u32,
    pub data: Value,
    pub metadata: Value,
    pub prev_hash: Hash,
    pub hash: Hash,
}

impl ExportLine {
    pub fn new(stream: &str, revision: u64, record: &EventRecord) -> Self {
        Self {
            stream: stream.to_owned(),
            revision,
            event_id: record.event_id.0,
            event_type: record.event_type.clone(),
            version: record.version,
            data: record.data.clone(),
            metadata: record.metadata.clone(),
            prev_hash: record.prev_hash,
            hash: record.hash,
        }
    }

    pub fn from_committed(stream: &str, committed: &Committed) -> Self {
        Self::new(stream, committed.revision, &committed.record)
    }

    pub fn record(&self) -> EventRecord {
        EventRecord {
            event_id: EventId(self.event_id),
            event_type: self.event_type.clone(),
            version: self.version,
            data: self.data.clone(),
            metadata: self.metadata.clone(),
            prev_hash: self.prev_hash,
            hash: self.hash,
        }
    }

    /// The event as the store keeps it.
    pub fn proposed(&self) -> ProposedEvent {
        let (data, metadata) = self.record().to_store_bytes();
        ProposedEvent {
            event_id: self.event_id,
            event_type: self.event_type.clone(),
            data,
            metadata,
        }
    }

    /// Writes the line, newline included.
    pub fn write(&self, out: &mut (impl Write + ?Sized)) -> std::io::Result<()> {
        serde_json::to_writer(&mut *out, self)?;
        out.write_all(b"\n")
    }
}

/// A stored event as an export line, if its bytes can be read.
pub fn line_of(stored: &StoredEvent) -> Result<ExportLine, String> {
    EventRecord::from_store_bytes(
        EventId(stored.event_id),
        &stored.event_type,
        &stored.data,
        &stored.metadata,
    )
    .map(|record| ExportLine::new(&stored.stream, stored.revision, &record))
    .map_err(|error| error.to_string())
}

/// Why an export file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("line {line}: {reason}")]
    Line { line: usize, reason: String },
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
}

/// Reads every line of an export, refusing the first that is not an event.
pub fn read_lines(reader: impl BufRead) -> Result<Vec<ExportLine>, ExportError> {
    let mut lines = Vec::new();
    for (index, line) in reader.lines().enumerate() {
        let line = line?;
        let number = index + 1;
        if line.len() > EXPORT_LINE_BYTES_MAX {
            return Err(ExportError::Line {
                line: number,
                reason: format!("longer than {EXPORT_LINE_BYTES_MAX} bytes"),
            });
        }
        if line.trim().is_empty() {
            continue;
        }
        let parsed = serde_json::from_str(&line).map_err(|error| ExportError::Line {
            line: number,
            reason: error.to_string(),
        })?;
        lines.push(parsed);
    }
    Ok(lines)
}

/// Expected revision for appending `line` as the next event of its stream.
pub fn expected_before(revision: u64) -> ExpectedRevision {
    match revision {
        0 => ExpectedRevision::NoStream,
        next => ExpectedRevision::Exact(next - 1),
    }
}
