//! `task-api`: loads settings, installs telemetry, serves until SIGINT/SIGTERM.
//! `task-api healthcheck` asks a running instance's `/healthz` (the container image's
//! HEALTHCHECK: the runtime image has no shell and no curl).

use anyhow::Context;
use task_api::Settings;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if std::env::args().nth(1).as_deref() == Some("healthcheck") {
        let settings = Settings::load()?;
        return task_api::healthcheck(&settings.addr).await;
    }
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
