//! Agora Ledger: the event-sourced ledger service of a cooperative community.
//!
//! Data flows one way: an HTTP request becomes a command, the command is
//! decided against the community's projection, the resulting events are
//! appended durably, then applied to the projections that serve reads.

/// Start-up and graceful shutdown of the service.
pub mod app;
/// Verification, export and import, the assembly report.
pub mod audit;
/// Bearer tokens: verification and minting.
pub mod auth;
/// The `agora` command line.
pub mod cli;
/// Where "now" comes from.
pub mod clock;
/// Typed configuration from flags, environment and file.
pub mod config;
/// The demo community, seeded through the command path.
pub mod demo;
/// The rules: pure decisions from state and command to events.
pub mod domain;
/// French forms of numbers, money, durations and dates.
pub mod french;
/// Routes, middleware and problem responses.
pub mod http;
/// The command pipeline: per-community writers, views, personal-data keys.
pub mod ledger;
/// The event store port and its adapters (SQLite, in-memory).
pub mod store;
/// Structured logs.
pub mod telemetry;
/// Delivering events to the webhooks registered for them.
pub mod webhooks;
