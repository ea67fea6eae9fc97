//! Agora Ledger: the event-sourced ledger service of a cooperative community.
//!
//! Data flows one way: an HTTP request becomes a command, the command is
//! decided against the community's projection, the resulting events are
//! appended durably, then applied to the projections that serve reads.

/// The event store port and its adapters (SQLite, in-memory).
pub mod store;
