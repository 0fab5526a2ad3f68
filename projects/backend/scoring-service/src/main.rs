use clap::Parser;
use scoring_service::config::Command;

fn main() -> anyhow::Result<()> {
    let cfg = scoring_service::Config::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cfg.command {
        Some(Command::Healthcheck) => rt.block_on(scoring_service::healthcheck(&cfg)),
        None => rt.block_on(scoring_service::run(cfg)),
    }
}
