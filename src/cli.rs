//! The command line: `serve` (the default), `migrate`, `keys create|revoke`, `score`, `listen`.

use std::io::Write;

use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::domain::ids::{DEFAULT_TAIL, new_id};
use crate::domain::key_permissions::KeyPermissions;
use crate::domain::platform::{ApiKey, Platform};
use crate::startup::{App, cancel_on_signal, open_store};

#[derive(Debug, Parser)]
#[command(
    name = "sandbank",
    version,
    about = "A stateful Stripe Financial Connections sandbox"
)]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (the default).
    Serve,
    /// Apply the store's migrations and exit.
    Migrate,
    /// Manage platform API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Score owner data against provided data, one JSON line in, one JSON line out:
    /// `{"field": "name", "owner": "…", "provided": "…"}` → `{"match_score", "missing_data", "level"}`.
    Score,
    /// Forward this platform's webhook events to a local URL, signed (like `stripe listen`).
    Listen(crate::listen::ListenArgs),
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a secret key, or with --permission a restricted key; without --platform, a new
    /// platform is created for it.
    Create {
        /// An existing platform id (acct_…).
        #[arg(long)]
        platform: Option<String>,
        /// Name of the new platform.
        #[arg(long, default_value = "Platform")]
        name: String,
        /// Makes a restricted key (`rk_test_…`) granted `resource:read` or `resource:write`;
        /// repeat it or separate with commas. Resources: customer,
        /// financial_connections_session, financial_connections_account,
        /// financial_connections_transaction, financial_connections_ownership_match,
        /// webhook_endpoint, event, test_helpers.
        #[arg(long = "permission", value_name = "RESOURCE:ACCESS")]
        permissions: Vec<String>,
    },
    /// Revoke a secret or restricted key.
    Revoke { key: String },
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = cli.settings;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            // Bound first, so a database that is not there yet leaves the server up (not
            // ready) instead of exiting; it becomes ready when the database answers.
            let signalled = tokio_util::sync::CancellationToken::new();
            tokio::spawn(cancel_on_signal(signalled.clone()));
            let listener = tokio::net::TcpListener::bind(settings.listen).await?;
            let Some(app) = App::build_when_store_opens(&settings, listener, &signalled).await? else {
                return Ok(());
            };
            tracing::info!(address = %app.address(), store = app.state().store.backend().name(), "sandbank listening");
            let shutdown = app.shutdown_token();
            tokio::spawn(async move {
                signalled.cancelled().await;
                shutdown.cancel();
            });
            app.run().await
        }
        Command::Listen(args) => {
            let shutdown = tokio_util::sync::CancellationToken::new();
            tokio::spawn(cancel_on_signal(shutdown.clone()));
            crate::listen::run(args, shutdown).await
        }
        Command::Score => {
            let stdin = std::io::stdin().lock();
            let stdout = std::io::stdout().lock();
            crate::scoring::run_jsonl(stdin, std::io::BufWriter::new(stdout))?;
            Ok(())
        }
        Command::Migrate => {
            let store = open_store(&settings).await?;
            tracing::info!(store = store.backend().name(), "migrations applied");
            Ok(())
        }
        Command::Keys(KeysCommand::Create {
            platform,
            name,
            permissions,
        }) => {
            // Read before anything is written: a typo in a permission creates nothing.
            let permissions = match permissions.is_empty() {
                true => None,
                false => Some(KeyPermissions::parse(&permissions.join(","))?),
            };
            let store = open_store(&settings).await?;
            let platform_id = match platform {
                Some(id) => {
                    store
                        .get_platform(&id)
                        .await?
                        .ok_or_else(|| anyhow::anyhow!("no such platform: {id}"))?;
                    id
                }
                None => {
                    let platform = Platform {
                        id: new_id("acct", DEFAULT_TAIL - 8),
                        name,
                        created: now(),
                    };
                    store.insert_platform(&platform).await?;
                    platform.id
                }
            };
            let key = match permissions {
                Some(_) => ApiKey::generate_restricted(),
                None => ApiKey::generate(),
            };
            store
                .insert_api_key(key.hash(), &platform_id, &key.last4(), permissions.as_ref(), now())
                .await?;
            // The key is shown once, here; only its hash is stored.
            let mut out = std::io::stdout().lock();
            writeln!(out, "platform: {platform_id}")?;
            match &permissions {
                Some(granted) => {
                    writeln!(out, "restricted key: {}", key.as_str())?;
                    writeln!(out, "permissions: {granted}")?;
                }
                None => writeln!(out, "secret key: {}", key.as_str())?,
            }
            Ok(())
        }
        Command::Keys(KeysCommand::Revoke { key }) => {
            let store = open_store(&settings).await?;
            let key = ApiKey::parse(&key).ok_or_else(|| anyhow::anyhow!("not a secret or restricted key"))?;
            if store.revoke_api_key(key.hash(), now()).await? {
                writeln!(std::io::stdout().lock(), "revoked {}", key.redacted())?;
                Ok(())
            } else {
                anyhow::bail!("no active key {}", key.redacted())
            }
        }
    }
}
