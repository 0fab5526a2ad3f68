//! The `portfolio` library: every operation of the CLI as a function tests can call.
//! `main.rs` only parses arguments and prints; see `docs/ARCHITECTURE.md`.

pub mod diag;
pub mod manifest;
pub mod catalog;
pub mod kinds;
pub mod graph;
pub mod docs;
pub mod validate;
pub mod bootstrap;
pub mod affected;
pub mod table;
pub mod runner;
pub mod supervisor;
pub mod cli;
