use clap::Parser;

fn main() -> anyhow::Result<()> {
    let cfg = scoring_service::Config::parse();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(scoring_service::run(cfg))
}
