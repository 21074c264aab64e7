//! The `sandbank` binary: parse the command line, set up tracing, hand over to [`sandbank::cli`].

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = sandbank::cli::Cli::parse();
    sandbank::telemetry::init(cli.settings.log_format);
    sandbank::cli::run(cli).await
}
