//! The `portfolio` library: every operation of the CLI as a function tests can call.
//! `main.rs` only parses arguments and prints; see `docs/ARCHITECTURE.md`.

pub mod affected;
pub mod audit;
pub mod bootstrap;
pub mod catalog;
pub mod ci;
pub mod cli;
pub mod decommission;
pub mod delivery;
pub mod diag;
pub mod docs;
pub mod dr;
pub mod drill;
pub mod flagcheck;
pub mod git;
pub mod governance;
pub mod graph;
pub mod kinds;
pub mod manifest;
pub mod release;
pub mod runbook;
pub mod runner;
pub mod secretcmd;
pub mod stages;
pub mod supervisor;
pub mod table;
pub mod validate;
pub mod workspace;
