//! What several test files share.

pub mod kurrentdb;
pub mod postgres;
