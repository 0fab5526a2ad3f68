//! `GET /v1/flags`: the feature flags of the environment this instance runs in, for the web
//! app (declared in `ops/feature-flags.toml`; `portfolio flags check` keeps them honest).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use crate::AppState;

/// The flags of one environment, loaded once at start-up.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct FlagSet {
    /// `PORTFOLIO_ENV` of this instance (`local` when unset).
    pub environment: String,
    /// Flag name → value in this environment.
    pub flags: BTreeMap<String, bool>,
}

impl FlagSet {
    pub fn load(path: &std::path::Path, environment: &str) -> Result<FlagSet, flags::FlagError> {
        let list = flags::load(path)?;
        Ok(FlagSet {
            environment: environment.to_string(),
            flags: flags::values(&list, environment),
        })
    }

    /// The value of a declared flag; an undeclared name is off (and `portfolio flags check`
    /// fails on it).
    pub fn flag(&self, name: &str) -> bool {
        self.flags.get(name).copied().unwrap_or(false)
    }
}

#[utoipa::path(get, path = "/v1/flags", tag = "flags",
    responses((status = 200, body = FlagSet, description = "The flags of this environment; no credentials needed (they hold no user data)")))]
pub async fn list(State(state): State<AppState>) -> Json<FlagSet> {
    Json(state.flags.as_ref().clone())
}
