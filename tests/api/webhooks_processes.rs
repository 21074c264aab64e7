//! The real binary as separate processes on one Postgres database: killed with SIGKILL three
//! times during a burst of 1,000 events (every event still delivered, duplicates counted),
//! and two processes side by side (no event delivered twice).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::Client;
use sqlx::{Connection, Row};
use tokio::sync::watch;

use crate::harness::{KEY, fresh_data_dir, fresh_postgres_url};
use crate::process::Server;
use crate::webhooks_support::{Receiver, Reply, create_endpoint, try_produce};

/// The settings these tests run the binary with: quick retries and polls, no refresh
/// workers, no rate limit.
async fn start_server(database_url: &str, data_dir: &Path) -> Server {
    let database_url = ("DATABASE_URL", database_url);
    Server::start(
        data_dir,
        &[
            database_url,
            ("SANDBANK_WEBHOOK_TIMEOUT_MS", "2000"),
            ("SANDBANK_DISPATCH_POLL_MS", "100"),
            ("SANDBANK_RATE_LIMIT", "0"),
            ("SANDBANK_REFRESH_WORKERS", "0"),
        ],
    )
    .await
}

/// SIGTERM, then waits: the server finishes its sends in flight and exits.
async fn stop(Server { mut child, .. }: Server) {
    let pid = child.id().expect("running").to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(60), child.wait()).await;
    assert!(matches!(exit, Ok(Ok(s)) if s.success()), "graceful exit: {exit:?}");
}

struct Tally {
    counts: HashMap<String, usize>,
}

impl Tally {
    /// Receives until every id in `want` has arrived, and each of `again` twice (sends a
    /// kill interrupted come back once their lease runs out), then takes what else is in.
    async fn until_all(receiver: &mut Receiver, want: &HashSet<String>, again: &[String]) -> Self {
        let mut counts: HashMap<String, usize> = HashMap::new();
        let done = |counts: &HashMap<String, usize>| {
            want.iter().all(|id| counts.contains_key(id)) && again.iter().all(|id| counts.get(id) >= Some(&2))
        };
        while !done(&counts) {
            *counts.entry(receiver.next().await.event_id()).or_default() += 1;
        }
        for d in receiver.drain() {
            *counts.entry(d.event_id()).or_default() += 1;
        }
        Self { counts }
    }

    fn duplicates(&self) -> usize {
        self.counts.values().map(|n| n - 1).sum()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_three_times_during_a_burst_loses_no_event() {
    let _guard = crate::cleanup::TestGuard::new();
    let db = fresh_postgres_url().await;
    let dir: PathBuf = fresh_data_dir();
    // A slow receiver keeps a backlog and sends in flight, so each kill interrupts some:
    // those come back when their lease runs out, and are the duplicates counted below.
    let mut receiver = Receiver::start(vec![], Reply::Slow(100)).await;
    let mut server = start_server(&db, &dir).await;
    create_endpoint(&server.base, KEY, &receiver.url, &["*"]).await;

    // Each restart listens on a new port: the producer follows the current base URL.
    let (base_tx, base_rx) = watch::channel(server.base.clone());
    let (known_tx, mut known_rx) = watch::channel(0usize);
    let producer = tokio::spawn({
        let mut base_rx = base_rx;
        async move {
            let client = Client::new();
            let (mut known, mut lost_requests) = (Vec::new(), 0usize);
            while known.len() < 1000 {
                let base = base_rx.borrow_and_update().clone();
                match try_produce(&client, &base, 10).await {
                    Ok(ids) => {
                        known.extend(ids);
                        known_tx.send_replace(known.len());
                    }
                    Err(_) => {
                        // The server is down: wait for the next one rather than spin.
                        lost_requests += 1;
                        if *base_rx.borrow() == base {
                            base_rx.changed().await.unwrap();
                        }
                    }
                }
            }
            (known, lost_requests)
        }
    });
    let mut arrivals = receiver.arrivals.clone();
    let mut interrupted = Vec::new();
    for kill_at in [250, 500, 750] {
        known_rx.wait_for(|n| *n >= kill_at).await.unwrap();
        // Kill just as a delivery reaches the (slow) receiver: that send is in flight and
        // cannot have been recorded, so its lease must run out and it must come again.
        let before = arrivals.borrow_and_update().0;
        let (_, in_flight) = arrivals.wait_for(|(n, _)| *n > before).await.unwrap().clone();
        server.child.start_kill().unwrap(); // SIGKILL
        interrupted.push(in_flight);
        server.child.wait().await.unwrap();
        server = start_server(&db, &dir).await;
        base_tx.send_replace(server.base.clone());
    }
    let (known, lost_requests) = producer.await.unwrap();
    let want: HashSet<String> = known.iter().cloned().collect();
    assert_eq!(want.len(), 1000);
    let tally = Tally::until_all(&mut receiver, &want, &interrupted).await;
    let unknown = tally.counts.keys().filter(|id| !want.contains(*id)).count();
    let report = format!(
        "SIGKILL ×3 during 1,000 events: {} of 1000 known ids delivered, {} duplicate deliveries, \
         {unknown} events from requests cut off by a kill also delivered, {lost_requests} requests lost",
        want.iter().filter(|id| tally.counts.contains_key(*id)).count(),
        tally.duplicates(),
    );
    println!("{report}");
    eprintln!("{report}");
    assert!(
        tally.duplicates() >= 3,
        "each kill interrupted a send, which came again"
    );
    stop(server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_on_one_postgres_deliver_each_event_once() {
    let _guard = crate::cleanup::TestGuard::new();
    let db = fresh_postgres_url().await;
    let dir = fresh_data_dir();
    let mut receiver = Receiver::ok().await;
    let a = start_server(&db, &dir).await;
    let b = start_server(&db, &dir).await;
    let (base_a, base_b) = (a.base.clone(), b.base.clone());
    create_endpoint(&base_a, KEY, &receiver.url, &["*"]).await;

    let produce_on = |base: String| async move {
        let client = Client::new();
        let mut ids = Vec::new();
        for _ in 0..50 {
            ids.extend(try_produce(&client, &base, 10).await.unwrap());
        }
        ids
    };
    let (from_a, from_b) = tokio::join!(produce_on(base_a), produce_on(base_b));
    let want: HashSet<String> = from_a.into_iter().chain(from_b).collect();
    assert_eq!(want.len(), 1000);
    let tally = Tally::until_all(&mut receiver, &want, &[]).await;
    stop(a).await;
    stop(b).await;
    let late: Vec<String> = receiver.drain().iter().map(|d| d.event_id()).collect();
    assert!(late.is_empty(), "deliveries after all 1000 arrived: {late:?}");
    println!(
        "two processes: {} deliveries, {} duplicates",
        tally.counts.values().sum::<usize>(),
        tally.duplicates()
    );
    assert_eq!(tally.duplicates(), 0, "no event delivered twice");
    assert_eq!(tally.counts.len(), 1000);

    let mut conn = sqlx::PgConnection::connect(&db).await.unwrap();
    let row = sqlx::query(
        "SELECT COUNT(*) AS attempts, COUNT(DISTINCT event_id) AS events, COUNT(DISTINCT worker) AS workers \
         FROM webhook_attempts",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    let (attempts, events, workers): (i64, i64, i64) = (row.get("attempts"), row.get("events"), row.get("workers"));
    println!("two processes: {attempts} attempts for {events} events by {workers} dispatchers");
    assert_eq!((attempts, events), (1000, 1000), "one attempt per event");
    assert_eq!(workers, 2, "both processes' dispatchers took part");
    let undelivered: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM webhook_deliveries WHERE status <> 'succeeded' OR attempts <> 1")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(undelivered, 0);
}
