//! Typed settings from flags and environment variables. Every default lives here, once; the
//! README's configuration table mirrors this file.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::store::StoreLocation;

/// Settings shared by every subcommand that touches the store or serves.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Address to serve on.
    #[arg(long, env = "SANDBANK_LISTEN", default_value = "127.0.0.1:12111", global = true)]
    pub listen: SocketAddr,

    /// A `postgres://` URL selects Postgres; without it the embedded SQLite store is used.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,

    /// Where the SQLite file (and other local state) lives when no DATABASE_URL is set.
    #[arg(long, env = "SANDBANK_DATA_DIR", default_value = "./.sandbank", global = true)]
    pub data_dir: PathBuf,

    /// Postgres pool size per process.
    #[arg(long, env = "SANDBANK_DB_MAX_CONNECTIONS", default_value_t = 16, global = true)]
    pub db_max_connections: u32,

    /// Log output: `pretty` for people, `json` for machines, `compact` for one line each.
    #[arg(long, env = "SANDBANK_LOG_FORMAT", value_enum, default_value_t = LogFormat::Compact, global = true)]
    pub log_format: LogFormat,

    /// Requests per second allowed per API key (token bucket, burst of the same size).
    /// 0 turns the limit off; Stripe's test mode allows 25.
    #[arg(long, env = "SANDBANK_RATE_LIMIT", default_value_t = 1000, global = true)]
    pub rate_limit: u32,

    /// Create the sandbox platform and its documented key `sk_test_sandbank` at start.
    /// `false` revokes that key instead.
    #[arg(long, env = "SANDBANK_SANDBOX_KEY", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub sandbox_key: bool,

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "SANDBANK_BODY_LIMIT", default_value_t = 1024 * 1024, global = true)]
    pub body_limit: usize,

    /// The URL browsers and OAuth clients use to reach this server (hosted link pages, bank
    /// issuer, redirect URIs). Defaults to `http://` and the listen address.
    #[arg(long, env = "SANDBANK_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,

    /// Keys sealing personal data and bank tokens at rest: `id:base64(32 bytes)`, comma
    /// separated, the first encrypting. Unset: a key file in the data directory, made once.
    #[arg(long, env = "SANDBANK_ENCRYPTION_KEYS", hide_env_values = true, global = true)]
    pub encryption_keys: Option<String>,

    /// Refresh workers per process (ownership, balance, transactions jobs); 0 runs none.
    #[arg(long, env = "SANDBANK_REFRESH_WORKERS", default_value_t = 2, global = true)]
    pub refresh_workers: usize,

    /// Milliseconds an idle refresh worker waits before looking for due jobs again.
    #[arg(long, env = "SANDBANK_WORKER_POLL_MS", default_value_t = 200, global = true)]
    pub worker_poll_ms: u64,

    /// Seconds a claimed refresh job stays with its worker; after a crash it runs again.
    #[arg(long, env = "SANDBANK_JOB_LEASE_SECS", default_value_t = 60, global = true)]
    pub job_lease_secs: i64,

    /// Seconds after a refresh before the same feature may be refreshed again.
    #[arg(long, env = "SANDBANK_REFRESH_COOLDOWN_SECS", default_value_t = 60, global = true)]
    pub refresh_cooldown_secs: i64,

    /// Distinct ownership-match inputs allowed per bank account (all its links) and platform
    /// in 24 hours (the same input again is answered from the stored match and does not count).
    #[arg(long, env = "SANDBANK_OWNERSHIP_MATCH_LIMIT", default_value_t = 5, global = true)]
    pub ownership_match_limit: i64,

    /// Seconds in-flight requests get to finish after SIGTERM or Ctrl-C.
    #[arg(long, env = "SANDBANK_SHUTDOWN_GRACE", default_value_t = 10, global = true)]
    pub shutdown_grace_secs: u64,

    /// Milliseconds the slow sandbox bank (`fcinst_slow`) holds each token and data API
    /// response.
    #[arg(long, env = "SANDBANK_SLOW_BANK_DELAY_MS", default_value_t = 1500, global = true)]
    pub slow_bank_delay_ms: u64,

    /// Seconds before each retry of a failed webhook delivery: the Nth number is the wait
    /// before attempt N+1 (±20 % jitter). Stripe's test mode retries a few times over hours.
    #[arg(
        long,
        env = "SANDBANK_WEBHOOK_RETRY_SCHEDULE",
        default_value = "60,300,1800,7200",
        global = true
    )]
    pub webhook_retry_schedule: String,

    /// Milliseconds a webhook receiver has to answer before the attempt counts as failed.
    #[arg(long, env = "SANDBANK_WEBHOOK_TIMEOUT_MS", default_value_t = 10_000, global = true)]
    pub webhook_timeout_ms: u64,

    /// Consecutive failed deliveries (retries spent) after which an endpoint is disabled;
    /// a success resets the run; 0 never disables.
    #[arg(long, env = "SANDBANK_WEBHOOK_DISABLE_AFTER", default_value_t = 20, global = true)]
    pub webhook_disable_after: i64,

    /// Allow webhook URLs on private and link-local ranges (loopback has its own setting).
    #[arg(long, env = "SANDBANK_WEBHOOK_ALLOW_PRIVATE", default_value_t = false, action = clap::ArgAction::Set, global = true)]
    pub webhook_allow_private: bool,

    /// Allow webhook URLs on loopback (`localhost`, 127.0.0.0/8, `::1`), which local
    /// development needs; a shared deployment sets `false` so endpoints cannot reach the
    /// server's own host.
    #[arg(long, env = "SANDBANK_WEBHOOK_ALLOW_LOOPBACK", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub webhook_allow_loopback: bool,

    /// Longest wait, in seconds, a receiver's `Retry-After` (429/503) can ask for.
    #[arg(
        long,
        env = "SANDBANK_WEBHOOK_RETRY_AFTER_CAP_SECS",
        default_value_t = 3600,
        global = true
    )]
    pub webhook_retry_after_cap_secs: u64,

    /// Webhook sends in flight per process.
    #[arg(long, env = "SANDBANK_WEBHOOK_CONCURRENCY", default_value_t = 32, global = true)]
    pub webhook_concurrency: usize,

    /// Webhook sends in flight per endpoint, across all processes: a slow or dead receiver
    /// holds at most this many sends, and its backlog waits behind itself.
    #[arg(
        long,
        env = "SANDBANK_WEBHOOK_ENDPOINT_CONCURRENCY",
        default_value_t = 4,
        global = true
    )]
    pub webhook_endpoint_concurrency: usize,

    /// Run the webhook dispatcher in this process (`false`: API only; another process sends).
    #[arg(long, env = "SANDBANK_DISPATCHER", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub dispatcher: bool,

    /// Milliseconds an idle dispatcher waits before looking for due deliveries (new events
    /// wake it at once; this paces retries).
    #[arg(long, env = "SANDBANK_DISPATCH_POLL_MS", default_value_t = 500, global = true)]
    pub dispatch_poll_ms: u64,

    /// Whether the banks accept the fixed second-factor code `000000` (a sandbox
    /// convenience); `false` requires each user's real TOTP (docs/banks.md).
    #[arg(long, env = "SANDBANK_BANK_FIXED_CODE", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub bank_fixed_code: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Pretty,
    Compact,
    Json,
}

impl Settings {
    /// Where the store lives, from `DATABASE_URL` or the data directory.
    pub fn store_location(&self) -> StoreLocation {
        match &self.database_url {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                StoreLocation::Postgres {
                    url: url.clone(),
                    max_connections: self.db_max_connections,
                }
            }
            Some(url) if url.starts_with("sqlite:") => StoreLocation::Sqlite {
                path: PathBuf::from(url.trim_start_matches("sqlite://").trim_start_matches("sqlite:")),
            },
            _ => StoreLocation::Sqlite {
                path: self.data_dir.join("sandbank.db"),
            },
        }
    }

    /// The cipher for data at rest, from the setting or the data directory's key file.
    pub fn cipher(&self) -> Result<crate::crypto::Cipher, crate::crypto::CryptoError> {
        match &self.encryption_keys {
            Some(keys) => crate::crypto::Cipher::from_setting(keys),
            None => crate::crypto::Cipher::from_key_file(&self.data_dir.join("encryption.key")),
        }
    }

    /// The public base URL (no trailing slash) once the listener's address is known.
    pub fn public_url_for(&self, bound: SocketAddr) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{bound}"),
        }
    }

    /// The webhook delivery settings, checked.
    pub fn delivery_config(&self) -> anyhow::Result<crate::domain::webhook_policy::DeliveryConfig> {
        use crate::domain::webhook_policy::{DeliveryConfig, DestinationPolicy, RetryPolicy};
        let retry = RetryPolicy::parse(&self.webhook_retry_schedule, self.webhook_retry_after_cap_secs)
            .map_err(|e| anyhow::anyhow!("SANDBANK_WEBHOOK_RETRY_SCHEDULE: {e}"))?;
        Ok(DeliveryConfig {
            destination: DestinationPolicy {
                allow_private: self.webhook_allow_private,
                allow_loopback: self.webhook_allow_loopback,
            },
            retry,
            timeout: std::time::Duration::from_millis(self.webhook_timeout_ms.max(1)),
            disable_after: self.webhook_disable_after,
            concurrency: self.webhook_concurrency.max(1),
            per_endpoint: self.webhook_endpoint_concurrency.max(1),
            poll: std::time::Duration::from_millis(self.dispatch_poll_ms.max(1)),
            run_dispatcher: self.dispatcher,
        })
    }

    /// Settings for tests and embedding: defaults, an ephemeral port, the given store.
    pub fn for_tests(database_url: Option<String>, data_dir: PathBuf) -> Self {
        Self {
            listen: "127.0.0.1:0".parse().expect("literal address"),
            database_url,
            data_dir,
            db_max_connections: 4,
            log_format: LogFormat::Compact,
            rate_limit: 0,
            sandbox_key: true,
            body_limit: 1024 * 1024,
            public_url: None,
            encryption_keys: None,
            shutdown_grace_secs: 5,
            ownership_match_limit: 5,
            refresh_workers: 0,
            worker_poll_ms: 50,
            job_lease_secs: 60,
            refresh_cooldown_secs: 60,
            slow_bank_delay_ms: 50,
            webhook_retry_schedule: "60,300,1800,7200".to_owned(),
            webhook_timeout_ms: 5_000,
            webhook_disable_after: 20,
            webhook_allow_private: false,
            webhook_allow_loopback: true,
            webhook_retry_after_cap_secs: 3600,
            webhook_concurrency: 32,
            webhook_endpoint_concurrency: 4,
            dispatcher: true,
            dispatch_poll_ms: 50,
            bank_fixed_code: true,
        }
    }
}
