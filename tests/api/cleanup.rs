//! What the tests create outside themselves — Postgres databases and data directories — is
//! removed when the test ends, passing or failing, and what a crashed test process left behind
//! is swept by the next test that creates a database.
//!
//! Every test runs under a [`TestGuard`] (the `both_stores!` macro makes one; a plain
//! `#[tokio::test]` that creates a store makes its own). Each database and directory is
//! registered here when it is made. When the last guard of the process drops — at the end of
//! the test under nextest, which runs one test per process; at the end of the last running
//! test under `cargo test` — everything registered is removed. Drop runs while a failing test
//! unwinds too, so a failure leaves nothing behind.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::Connection;

/// Databases and directories this process made and has not removed yet.
static CREATED: Mutex<Created> = Mutex::new(Created {
    databases: Vec::new(),
    dirs: Vec::new(),
});
/// Tests of this process still running.
static RUNNING: AtomicUsize = AtomicUsize::new(0);

struct Created {
    databases: Vec<String>,
    dirs: Vec<PathBuf>,
}

/// Held for the length of one test; see the module's documentation.
#[must_use = "the guard removes the test's databases when dropped"]
pub struct TestGuard(());

impl TestGuard {
    pub fn new() -> Self {
        RUNNING.fetch_add(1, Ordering::SeqCst);
        Self(())
    }
}

impl Default for TestGuard {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestGuard {
    fn drop(&mut self) {
        if RUNNING.fetch_sub(1, Ordering::SeqCst) != 1 {
            return; // another test of this process may still use what is registered
        }
        let created = {
            let mut guard = CREATED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            Created {
                databases: std::mem::take(&mut guard.databases),
                dirs: std::mem::take(&mut guard.dirs),
            }
        };
        for dir in &created.dirs {
            let _ = std::fs::remove_dir_all(dir);
        }
        if created.databases.is_empty() {
            return;
        }
        // Drop can run inside the test's runtime (or while it unwinds): the databases are
        // dropped from a thread of their own, with a runtime of its own.
        let databases = created.databases;
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&super::harness::postgres_admin_url()).await?;
                for name in &databases {
                    drop_database(&mut conn, name).await?;
                }
                anyhow::Ok(())
            })
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("could not drop this test's databases: {e}");
        }
    }
}

/// Notes a database this process created, for its guard to drop.
pub fn register_database(name: &str) {
    expect_a_guard();
    lock().databases.push(name.to_owned());
}

/// Notes a directory this process created, for its guard to remove.
pub fn register_dir(dir: PathBuf) {
    expect_a_guard();
    lock().dirs.push(dir);
}

/// A store made outside any guard would outlive its test: that is a mistake in the test,
/// caught here rather than by a full disk.
#[track_caller]
fn expect_a_guard() {
    assert!(
        RUNNING.load(Ordering::SeqCst) > 0,
        "a test made a store without a TestGuard: start it with `let _guard = crate::cleanup::TestGuard::new();` \
         (both_stores! does)"
    );
}

fn lock() -> std::sync::MutexGuard<'static, Created> {
    CREATED.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn drop_database(conn: &mut sqlx::PgConnection, name: &str) -> sqlx::Result<()> {
    // FORCE ends the connections a server still running in the background may hold.
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut *conn)
        .await
        .map(drop)
}

/// Drops the test databases whose process has ended (a crash, a kill, an abort: nothing ran
/// their guard), and any over an hour old. Names carry the creating process's id:
/// `sandbank_t_{unix seconds}_{pid}_{n}`.
/// Process ids are only read when the server is this machine's (`local`).
pub async fn sweep_abandoned(conn: &mut sqlx::PgConnection, local: bool) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let names: Vec<String> = sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'sandbank_t_%'")
        .fetch_all(&mut *conn)
        .await
        .unwrap_or_default();
    for name in names {
        let mut parts = name.trim_start_matches("sandbank_t_").split('_');
        let created: Option<u64> = parts.next().and_then(|s| s.parse().ok());
        let pid: Option<u32> = parts.next().and_then(|s| s.parse().ok());
        let too_old = created.is_some_and(|t| t + 3600 < now);
        if too_old || (local && pid.is_some_and(|pid| !process_alive(pid))) {
            let _ = drop_database(conn, &name).await;
        }
    }
}

/// Whether a process of this machine is running (Linux's `/proc`; elsewhere every process
/// counts as alive and only the age rule applies).
fn process_alive(pid: u32) -> bool {
    let proc = std::path::Path::new("/proc");
    !proc.join("self").exists() || proc.join(pid.to_string()).exists()
}

/// Run on its own by [`a_failing_test_leaves_no_database_or_directory_behind`]: makes a
/// Postgres database and a data directory, says their names, and fails.
#[tokio::test]
#[ignore = "run by a_failing_test_leaves_no_database_or_directory_behind in a process of its own"]
async fn makes_a_store_and_fails() {
    let _guard = TestGuard::new();
    let url = super::harness::fresh_postgres_url().await;
    let dir = super::harness::fresh_data_dir();
    println!("database={}", url.rsplit('/').next().unwrap_or_default());
    println!("dir={}", dir.display());
    panic!("this test fails on purpose");
}

#[test]
fn a_failing_test_leaves_no_database_or_directory_behind() {
    let out = std::process::Command::new(std::env::current_exe().expect("the test binary"))
        .args([
            "--exact",
            "cleanup::makes_a_store_and_fails",
            "--ignored",
            "--nocapture",
        ])
        .output()
        .expect("the test binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "the inner test fails on purpose:\n{stdout}");
    let said = |what: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(what))
            .unwrap_or_else(|| panic!("the inner test did not print {what}:\n{stdout}"))
            .to_owned()
    };
    let (database, dir) = (said("database="), said("dir="));
    assert!(database.starts_with("sandbank_t_"), "{database}");
    assert!(!std::path::Path::new(&dir).exists(), "{dir} is left behind");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let left: i64 = runtime.block_on(async {
        let mut conn = sqlx::PgConnection::connect(&super::harness::postgres_admin_url())
            .await
            .expect("Postgres answers");
        sqlx::query_scalar("SELECT count(*) FROM pg_database WHERE datname = $1")
            .bind(&database)
            .fetch_one(&mut conn)
            .await
            .unwrap()
    });
    assert_eq!(left, 0, "{database} is left behind");
}
