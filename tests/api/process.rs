//! The real `sandbank` binary as a separate process, for tests that kill it, restart it or
//! run it as a user would.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running `sandbank` process and the base URL it serves.
pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Server {
    /// Starts `sandbank` on a port the kernel picks (`127.0.0.1:0`, so no other test can take
    /// it between choosing and binding) with its store in `data_dir` (SQLite unless `envs`
    /// names a `DATABASE_URL`) and returns once it logs the address it listens on. Its log is
    /// drained so the pipe never fills; if it exits before listening, its log is the message.
    pub async fn start(data_dir: &Path, envs: &[(&str, &str)]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_sandbank"));
        command
            .env_remove("DATABASE_URL")
            .env_remove("SANDBANK_PUBLIC_URL")
            .env_remove("SANDBANK_ENCRYPTION_KEYS")
            .env("SANDBANK_DATA_DIR", data_dir)
            .env("SANDBANK_LISTEN", "127.0.0.1:0")
            .env("SANDBANK_LOG_FORMAT", "json")
            .env("RUST_LOG", "info,sqlx=warn");
        for (name, value) in envs {
            command.env(name, value);
        }
        let mut child = command
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the sandbank binary starts");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut log = Vec::new();
        let address = tokio::time::timeout(Duration::from_secs(60), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Ok(event) = serde_json::from_str::<Value>(&line)
                    && event["message"] == "sandbank listening"
                {
                    return event["address"].as_str().map(str::to_owned);
                }
                log.push(line);
            }
            None
        })
        .await;
        let Ok(Some(address)) = address else {
            panic!("sandbank did not start ({address:?}); its log:\n{}", log.join("\n"));
        };
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self {
            child,
            base: format!("http://{address}"),
        }
    }
}
