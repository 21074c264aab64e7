//! The database going away and coming back, through a TCP proxy the test opens and closes
//! (the shared Postgres itself is never stopped). Three `sandbank` processes start while
//! the proxy refuses: each comes up (`/healthz` 200, `/readyz` 503, the API 503 with
//! `Stripe-Should-Retry: true`, all answered at once), logs why without the URL's password,
//! and becomes ready when the proxy opens, with every migration applied once. Then an outage
//! while they run: `/readyz` and the API answer 503 at once, and both recover.
//!
//! SQLite is embedded, so it has no "down"; an unusable SQLite path is an honest error at
//! start (the process exits saying why), tested last.

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::Client;
use serde_json::Value;
use sqlx::Connection;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, watch};

use crate::harness::{KEY, fresh_data_dir, fresh_postgres_url};

const PASSWORD: &str = "pw_never_logged_7f3a";
const SHARED_KEY: &str = "outage:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
/// Generous bound for a state change that takes well under a second on an idle machine.
const PATIENCE: Duration = Duration::from_secs(60);

/// A TCP forwarder to the shared Postgres that the test opens and closes. Closed, it accepts
/// and drops each connection at once, and closing cuts every forwarded connection.
struct Proxy {
    addr: SocketAddr,
    open: watch::Sender<bool>,
}

impl Proxy {
    async fn start_closed() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (open, _) = watch::channel(false);
        let state = open.clone();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let mut rx = state.subscribe();
                if !*rx.borrow_and_update() {
                    drop(client);
                    continue;
                }
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect("127.0.0.1:5432").await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = rx.wait_for(|open| !*open) => {}
                    }
                });
            }
        });
        Self { addr, open }
    }

    fn set_open(&self, open: bool) {
        self.open.send_replace(open);
    }
}

/// A `sandbank` process and what it has logged.
struct Server {
    child: Child,
    base: String,
    log: Arc<Mutex<Vec<String>>>,
    messages: mpsc::UnboundedReceiver<Value>,
}

impl Server {
    async fn start(database_url: &str) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sandbank"))
            .env("DATABASE_URL", database_url)
            .env("SANDBANK_DATA_DIR", fresh_data_dir())
            .env("SANDBANK_LISTEN", "127.0.0.1:0")
            .env("SANDBANK_LOG_FORMAT", "json")
            .env("SANDBANK_RATE_LIMIT", "0")
            .env("SANDBANK_REFRESH_WORKERS", "0")
            .env("SANDBANK_DISPATCHER", "false")
            .env("RUST_LOG", "info,sqlx=warn")
            .env_remove("SANDBANK_PUBLIC_URL")
            // Replicas share one key (each data directory would otherwise make its own).
            .env("SANDBANK_ENCRYPTION_KEYS", SHARED_KEY)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the sandbank binary starts");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, mut messages) = mpsc::unbounded_channel();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let kept = log.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Ok(event) = serde_json::from_str::<Value>(&line) {
                    let _ = tx.send(event);
                }
                kept.lock().unwrap().push(line);
            }
        });
        let waiting = tokio::time::timeout(PATIENCE, async {
            while let Some(event) = messages.recv().await {
                if event["message"] == "sandbank listening; not ready until the database answers" {
                    return event["address"].as_str().map(str::to_owned);
                }
            }
            None
        })
        .await;
        let Ok(Some(address)) = waiting else {
            panic!(
                "sandbank did not come up waiting; its log:\n{}",
                log.lock().unwrap().join("\n")
            );
        };
        Self {
            child,
            base: format!("http://{address}"),
            log,
            messages,
        }
    }

    /// Waits for a log message (the next one with this text).
    async fn logged(&mut self, message: &str) -> Value {
        let found = tokio::time::timeout(PATIENCE, async {
            while let Some(event) = self.messages.recv().await {
                if event["message"] == message {
                    return Some(event);
                }
            }
            None
        })
        .await;
        match found {
            Ok(Some(event)) => event,
            _ => panic!("no {message:?} in the log:\n{}", self.log.lock().unwrap().join("\n")),
        }
    }

    async fn stop(mut self) {
        let pid = self.child.id().expect("running").to_string();
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        let exit = tokio::time::timeout(PATIENCE, self.child.wait()).await;
        assert!(matches!(exit, Ok(Ok(s)) if s.success()), "graceful exit: {exit:?}");
        let log = self.log.lock().unwrap();
        assert!(
            log.iter().all(|line| !line.contains(PASSWORD)),
            "the database password is never logged"
        );
    }
}

/// Status, body and elapsed time of `GET path`.
async fn timed_get(client: &Client, base: &str, path: &str) -> (u16, Value, Duration) {
    let started = Instant::now();
    let res = client
        .get(format!("{base}{path}"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let body = res.json().await.unwrap_or(Value::Null);
    (status, body, started.elapsed())
}

/// An API write while the database is out of reach: a 503 Stripe `api_error` that the SDKs
/// retry, answered quickly.
async fn assert_api_unavailable(client: &Client, base: &str, within: Duration) {
    let started = Instant::now();
    let res = client
        .post(format!("{base}/v1/customers"))
        .bearer_auth(KEY)
        .form(&[("name", "Jenny Rosen")])
        .send()
        .await
        .unwrap();
    let elapsed = started.elapsed();
    eprintln!("store outage: API 503 in {elapsed:?}");
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers()["stripe-should-retry"], "true");
    assert!(res.headers().contains_key("request-id"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["type"], "api_error", "{body}");
    assert!(elapsed < within, "answered in {elapsed:?}");
}

async fn assert_ready_and_working(client: &Client, server: &Server) {
    let (status, body, _) = timed_get(client, &server.base, "/readyz").await;
    assert_eq!(status, 200, "{body}");
    let res = client
        .post(format!("{}/v1/customers", server.base))
        .bearer_auth(KEY)
        .form(&[("name", "Jenny Rosen")])
        .send()
        .await
        .unwrap();
    let status = res.status();
    let body = res.text().await.unwrap_or_default();
    assert_eq!(
        status,
        200,
        "{body}; the server's log:\n{}",
        server.log.lock().unwrap().join("\n")
    );
}

/// Polls `/readyz` until it gives `want`: the change is driven by the server's own
/// monitor, so the test waits for it to happen, within a generous bound.
async fn readiness_becomes(client: &Client, base: &str, want: u16) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let (status, _, _) = timed_get(client, base, "/readyz").await;
        if status == want {
            return;
        }
        assert!(Instant::now() < deadline, "/readyz never answered {want}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_started_while_postgres_is_down_wait_become_ready_and_ride_out_an_outage() {
    let _guard = crate::cleanup::TestGuard::new();
    let direct = fresh_postgres_url().await;
    let db = direct.rsplit_once('/').unwrap().1.to_owned();
    let proxy = Proxy::start_closed().await;
    let url = format!("postgres://postgres:{PASSWORD}@{}/{db}", proxy.addr);
    let client = Client::new();

    let mut servers = Vec::new();
    for _ in 0..3 {
        servers.push(Server::start(&url).await);
    }
    for server in &mut servers {
        let retry = server.logged("the database is unavailable; retrying").await;
        assert!(retry["error"].as_str().is_some_and(|e| !e.is_empty()), "{retry}");
        assert!(retry["database"].as_str().unwrap().ends_with(&db), "{retry}");
        let (status, _, _) = timed_get(&client, &server.base, "/healthz").await;
        assert_eq!(status, 200, "alive while waiting");
        let (status, body, took) = timed_get(&client, &server.base, "/readyz").await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(body, serde_json::json!({"status": "unavailable", "store": "postgres"}));
        eprintln!("store outage: /readyz 503 in {took:?} while waiting at start");
        assert!(took < Duration::from_secs(1), "/readyz answered in {took:?}");
        assert_api_unavailable(&client, &server.base, Duration::from_secs(1)).await;
    }

    proxy.set_open(true);
    for server in &mut servers {
        server.logged("sandbank listening").await;
        assert_ready_and_working(&client, server).await;
    }
    let mut admin = sqlx::PgConnection::connect(&direct).await.unwrap();
    let applied: Vec<(i64, bool)> = sqlx::query_as("SELECT version, success FROM _sqlx_migrations ORDER BY version")
        .fetch_all(&mut admin)
        .await
        .unwrap();
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
        .unwrap()
        .count();
    assert_eq!(applied.len(), files, "each migration applied once: {applied:?}");
    assert!(applied.iter().all(|(_, ok)| *ok));
    let platforms: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM platforms")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(platforms, 1, "seeded once between the replicas");

    // An outage while running: every forwarded connection is cut and new ones are dropped.
    proxy.set_open(false);
    let server = &servers[0];
    let (status, body, took) = timed_get(&client, &server.base, "/readyz").await;
    assert_eq!(status, 503, "{body}");
    eprintln!("store outage: /readyz 503 in {took:?} right after the cut");
    assert!(took < Duration::from_secs(1), "/readyz answered in {took:?}");
    assert_api_unavailable(&client, &server.base, Duration::from_secs(2)).await;
    for server in &servers {
        // Once the monitor knows, nothing waits on the database at all.
        readiness_becomes(&client, &server.base, 503).await;
        for _ in 0..3 {
            assert_api_unavailable(&client, &server.base, Duration::from_secs(1)).await;
        }
    }

    proxy.set_open(true);
    for server in &servers {
        readiness_becomes(&client, &server.base, 200).await;
        assert_ready_and_working(&client, server).await;
    }
    for server in servers {
        server.stop().await;
    }
    drop(admin);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unusable_sqlite_path_is_an_honest_error_at_start() {
    let _guard = crate::cleanup::TestGuard::new();
    let dir = fresh_data_dir();
    let not_a_dir = dir.join("a_file");
    std::fs::write(&not_a_dir, b"").unwrap();
    let output = tokio::time::timeout(
        PATIENCE,
        Command::new(env!("CARGO_BIN_EXE_sandbank"))
            .env("DATABASE_URL", format!("sqlite://{}/sandbank.db", not_a_dir.display()))
            .env("SANDBANK_DATA_DIR", &dir)
            .env("SANDBANK_LISTEN", "127.0.0.1:0")
            .env_remove("SANDBANK_ENCRYPTION_KEYS")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("it exits instead of waiting for a file that cannot be")
    .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot create"), "says why: {stderr}");
}
