//! `task-api`: loads settings, installs telemetry, serves until SIGINT/SIGTERM.

use anyhow::Context;
use task_api::Settings;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let telemetry = telemetry::init(&telemetry::TelemetryConfig::from_env("task-api")?)?;
    let settings = Settings::load()?;
    let listener = tokio::net::TcpListener::bind(&settings.addr)
        .await
        .with_context(|| format!("binding TASK_API_ADDR {}", settings.addr))?;
    let result = task_api::serve(
        settings,
        telemetry.clone(),
        listener,
        task_api::shutdown_signal(),
    )
    .await;
    telemetry.shutdown();
    result
}
