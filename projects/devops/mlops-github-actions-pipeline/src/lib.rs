//! The late-task model's life cycle (the guide's `devops/mlops-github-actions-pipeline`):
//! validate the training data from the lake (`gold/task_features`), train gradient-boosted
//! trees, evaluate with quality and slice gates, register a signed version with its model
//! card, promote it with the platform's approval rules, roll back, and watch drift.
//!
//! Rooms: [`config`] (train.toml), [`data`] (the contract's columns, the matrix, the split),
//! [`validate`], [`model`] (training, the artefact), [`metrics`], [`evaluate`] (gates),
//! [`store`] (a folder or a bucket), [`registry`] (versions, cards, signatures, stages),
//! [`promote`] (approvals, promotion, rollback, audit evidence), [`drift`], and
//! [`commands`], which the thin `main.rs` calls.

pub mod commands;
pub mod config;
pub mod data;
pub mod drift;
pub mod evaluate;
pub mod metrics;
pub mod model;
pub mod promote;
pub mod registry;
pub mod store;
pub mod synthetic;
pub mod validate;
