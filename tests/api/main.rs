//! Black-box tests of the HTTP service on a real socket.

mod health;
mod helpers;
mod serve;
