//! Black-box tests of the HTTP service on a real socket.

mod access;
mod accounting;
mod applications;
mod assemblies;
mod audit;
mod ballots;
mod browser;
mod communities;
mod concurrency;
mod conventions;
mod feed;
mod funds;
mod health;
mod helpers;
mod impact;
mod instances;
mod market;
mod meetings;
mod pioneers;
mod projects;
mod report;
mod serve;
mod shares;
mod territory;
mod web;
mod webhooks;

#[path = "../support/mod.rs"]
mod support;
