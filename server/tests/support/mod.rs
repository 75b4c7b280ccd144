//! What the server's test crates share: the router driven with `oneshot`,
//! and a stand-in Discord on loopback. Each test crate uses part of it.
#![allow(dead_code)]

pub mod discord;
pub mod test_app;
