//! Black-box tests of the HTTP service on a real socket.

mod access;
mod communities;
mod conventions;
mod health;
mod helpers;
mod pioneers;
mod serve;
mod shares;
