//! Spawns the real application on 127.0.0.1:0 with a fresh store per test: a new SQLite file,
//! or a new Postgres database (Postgres must be reachable: these tests never skip it).

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use reqwest::{Client, Method, Response};
use std::sync::Arc;

use sandbank::app_state::AppState;
use sandbank::clock::ManualClock;
use sandbank::config::Settings;
use sandbank::startup::App;
use serde_json::Value;
use sqlx::Connection;
use tokio_util::sync::CancellationToken;

pub const KEY: &str = "sk_test_sandbank";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The admin URL for creating test databases; CI points it at the local server.
pub fn postgres_admin_url() -> String {
    std::env::var("SANDBANK_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique_suffix() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    format!(
        "{}_{}_{}",
        now.as_secs(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A fresh, empty Postgres database, dropped when the test ends (see `cleanup`); databases
/// that crashed test processes left behind are dropped on the way.
pub async fn fresh_postgres_url() -> String {
    let admin = postgres_admin_url();
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("Postgres must be reachable at {admin} for the store tests: {e}"));
    let name = format!("sandbank_t_{}", unique_suffix());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create test database");
    crate::cleanup::register_database(&name);
    crate::cleanup::sweep_abandoned(&mut conn, is_local(&admin)).await;
    let base = admin.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap_or(admin);
    format!("{base}/{name}")
}

/// Whether the test Postgres runs on this machine, so the process ids in its databases'
/// names are this machine's.
fn is_local(url: &str) -> bool {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .is_some_and(|h| matches!(h.as_str(), "127.0.0.1" | "localhost" | "[::1]"))
}

pub fn fresh_data_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sandbank_t_{}", unique_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    crate::cleanup::register_dir(dir.clone());
    dir
}

pub async fn settings_for(backend: Backend) -> Settings {
    let database_url = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(fresh_postgres_url().await),
    };
    Settings::for_tests(database_url, fresh_data_dir())
}

/// A running server and a client for it. The server stops when this is dropped.
pub struct TestApp {
    pub base: String,
    /// The app's clock: tests move it instead of sleeping.
    pub clock: Arc<ManualClock>,
    /// The app's state, for driving its workers one step at a time.
    pub state: AppState,
    pub client: Client,
    pub settings: Settings,
    shutdown: CancellationToken,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(settings_for(backend).await).await
    }

    pub async fn spawn_with(settings: Settings) -> Self {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let clock = Arc::new(ManualClock::starting_at(now));
        let app = App::build_with_clock(&settings, clock.clone())
            .await
            .expect("app builds");
        let base = format!("http://{}", app.address());
        let shutdown = app.shutdown_token();
        let state = app.state().clone();
        let server = Some(tokio::spawn(app.run()));
        Self {
            base,
            clock,
            state,
            client: Client::new(),
            settings,
            shutdown,
            server,
        }
    }

    /// Stops the server and waits until its listener is closed; returns settings that bring
    /// it back on the same address and store (a restart).
    pub async fn stop(mut self) -> Settings {
        self.shutdown.cancel();
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        let mut settings = self.settings.clone();
        settings.listen = self
            .base
            .trim_start_matches("http://")
            .parse()
            .expect("the bound address");
        settings
    }

    /// Waits until every write request has finished, those whose client went away included.
    pub async fn writes_settled(&self) {
        self.state.writes.close();
        self.state.writes.wait().await;
        self.state.writes.reopen();
    }

    /// The `sandbank` binary set up to use this app's store (for `keys create|revoke`).
    pub fn cli(&self, args: &[&str]) -> std::process::Command {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_sandbank"));
        command.args(args).env("SANDBANK_DATA_DIR", &self.settings.data_dir);
        match &self.settings.database_url {
            Some(url) => command.env("DATABASE_URL", url),
            None => command.env_remove("DATABASE_URL"),
        };
        command
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A request with the sandbox key.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path)).bearer_auth(KEY)
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Response {
        self.request(Method::POST, path).form(form).send().await.unwrap()
    }

    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path).send().await.unwrap()
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.request(Method::DELETE, path).send().await.unwrap()
    }

    /// Runs the refresh worker until no job is due (the app runs no workers of its own).
    pub async fn drain_refreshes(&self) -> usize {
        sandbank::workers::refresh::drain(&self.state)
            .await
            .expect("refresh jobs run")
    }

    /// Creates a customer and returns its JSON.
    pub async fn customer(&self, form: &[(&str, &str)]) -> Value {
        let res = self.post("/v1/customers", form).await;
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }
}

/// Status and JSON body of a response.
pub async fn json(res: Response) -> (u16, Value) {
    let status = res.status().as_u16();
    let body = res.json().await.expect("a JSON body");
    (status, body)
}

/// Asserts a Stripe error: status, type, and (when given) code and param.
#[track_caller]
pub fn assert_error(status: u16, body: &Value, want_status: u16, want_code: Option<&str>, want_param: Option<&str>) {
    assert_eq!(status, want_status, "body: {body}");
    let error = &body["error"];
    assert!(error["type"].is_string(), "no error.type in {body}");
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "no message in {body}"
    );
    if let Some(code) = want_code {
        assert_eq!(error["code"], code, "body: {body}");
    }
    if let Some(param) = want_param {
        assert_eq!(error["param"], param, "body: {body}");
    }
}

/// Runs an async test body once per store: `both_stores!(fn_name, …)`.
#[macro_export]
macro_rules! both_stores {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let _guard = $crate::cleanup::TestGuard::new();
                    super::$name($crate::harness::Backend::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let _guard = $crate::cleanup::TestGuard::new();
                    super::$name($crate::harness::Backend::Postgres).await
                }
            }
        )*
    };
}
