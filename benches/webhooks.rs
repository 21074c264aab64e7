//! Webhook delivery benchmark: `cargo bench --bench webhooks`.
//!
//! Per store, the real server (release build, system clock, background dispatcher) and a
//! receiver on 127.0.0.1 that answers 200 at once and notes when each event arrived:
//!
//! 1. Latency at a steady rate: events are produced one per request at `BENCH_RATE` per second
//!    (default 200) for `BENCH_SECONDS` (default 10). Latency runs from the moment the
//!    producing request's response arrived — the change was committed before it — to the
//!    moment the receiver got the delivery; reported as p50 / p99 / max. The same figures from
//!    the moment the request was sent bound it from above.
//! 2. Throughput: `BENCH_BURST` events (default 5,000) written in batches of 500 as fast as the
//!    API takes them; deliveries per second from the first write to the last delivery.
//!
//! Settings: `BENCH_STORES` ("sqlite postgres"), `BENCH_POSTGRES` (admin URL, default
//! postgres://postgres@127.0.0.1:5432/postgres; a fresh database is made and dropped).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use sandbank::config::Settings;
use sandbank::startup::App;
use serde_json::Value;
use sqlx::Connection;
use tokio::sync::watch;

const KEY: &str = "sk_test_sandbank";

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[derive(Clone)]
struct Arrivals {
    at: Arc<Mutex<HashMap<String, Instant>>>,
    count: Arc<watch::Sender<usize>>,
}

async fn receive(State(a): State<Arrivals>, body: Bytes) -> StatusCode {
    let now = Instant::now();
    if let Ok(v) = serde_json::from_slice::<Value>(&body)
        && let Some(id) = v["id"].as_str()
    {
        a.at.lock().unwrap().entry(id.to_owned()).or_insert(now);
    }
    a.count.send_modify(|n| *n += 1);
    StatusCode::OK
}

async fn produce(client: &reqwest::Client, base: &str, count: usize) -> Vec<String> {
    let res = client
        .post(format!("{base}/v1/test_helpers/events"))
        .bearer_auth(KEY)
        .form(&[("count", count.to_string())])
        .send()
        .await
        .expect("produce");
    let body: Value = res.json().await.expect("JSON");
    body["data"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn summary(mut ms: Vec<f64>) -> String {
    ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    format!(
        "p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&ms, 50.0),
        percentile(&ms, 99.0),
        ms.last().copied().unwrap_or(f64::NAN)
    )
}

async fn fresh_postgres(admin: &str) -> (String, String) {
    let mut conn = sqlx::PgConnection::connect(admin).await.expect("Postgres reachable");
    let name = format!("sandbank_bench_{}", std::process::id());
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    let base = admin.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap();
    (format!("{base}/{name}"), name)
}

async fn bench(store: &str) {
    let admin =
        std::env::var("BENCH_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let data_dir = std::env::temp_dir().join(format!("sandbank_bench_{}_{store}", std::process::id()));
    let (db, pg_name) = if store == "postgres" {
        let (url, name) = fresh_postgres(&admin).await;
        (Some(url), Some(name))
    } else {
        (None, None)
    };
    let mut settings = Settings::for_tests(db, data_dir.clone());
    settings.dispatch_poll_ms = 500;
    settings.webhook_timeout_ms = 10_000;
    settings.db_max_connections = 16;
    let app = App::build(&settings).await.expect("app builds");
    let base = format!("http://{}", app.address());
    let shutdown = app.shutdown_token();
    let server = tokio::spawn(app.run());

    let (count_tx, mut count_rx) = watch::channel(0usize);
    let arrivals = Arrivals {
        at: Arc::default(),
        count: Arc::new(count_tx),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    let receiver = axum::Router::new()
        .route("/hook", post(receive))
        .with_state(arrivals.clone());
    tokio::spawn(async move { axum::serve(listener, receiver).await });
    let client = reqwest::Client::new();
    let created: Value = client
        .post(format!("{base}/v1/webhook_endpoints"))
        .bearer_auth(KEY)
        .form(&[("url", hook.as_str()), ("enabled_events[]", "*")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(created["id"].is_string(), "{created}");

    // 1. Latency at a steady rate.
    let rate: u64 = env_or("BENCH_RATE", 200);
    let seconds: u64 = env_or("BENCH_SECONDS", 10);
    let total = (rate * seconds) as usize;
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut producers = Vec::with_capacity(total);
    for _ in 0..total {
        tick.tick().await;
        let (client, base) = (client.clone(), base.clone());
        producers.push(tokio::spawn(async move {
            let sent = Instant::now();
            let ids = produce(&client, &base, 1).await;
            (ids[0].clone(), sent, Instant::now())
        }));
    }
    let mut produced = Vec::with_capacity(total);
    for p in producers {
        produced.push(p.await.unwrap());
    }
    count_rx.wait_for(|n| *n >= total).await.unwrap();
    let at = arrivals.at.lock().unwrap().clone();
    let from_commit: Vec<f64> = produced
        .iter()
        .map(|(id, _, committed)| at[id].saturating_duration_since(*committed).as_secs_f64() * 1000.0)
        .collect();
    let from_send: Vec<f64> = produced
        .iter()
        .map(|(id, sent, _)| at[id].duration_since(*sent).as_secs_f64() * 1000.0)
        .collect();
    println!("[{store}] {total} events at {rate}/s:");
    println!("[{store}]   commit → receiver: {}", summary(from_commit));
    println!(
        "[{store}]   request sent → receiver (upper bound): {}",
        summary(from_send)
    );

    // 2. Throughput on a burst.
    let burst: usize = env_or("BENCH_BURST", 5000);
    let already = *count_rx.borrow();
    let started = Instant::now();
    for _ in 0..burst.div_ceil(500) {
        produce(&client, &base, 500.min(burst)).await;
    }
    let written = started.elapsed();
    let want = already + burst.div_ceil(500) * 500.min(burst);
    count_rx.wait_for(|n| *n >= want).await.unwrap();
    let elapsed = started.elapsed();
    println!(
        "[{store}] burst of {} events: written in {:.2} s, all delivered in {:.2} s → {:.0} deliveries/s",
        want - already,
        written.as_secs_f64(),
        elapsed.as_secs_f64(),
        (want - already) as f64 / elapsed.as_secs_f64()
    );

    shutdown.cancel();
    let _ = server.await;
    let _ = std::fs::remove_dir_all(&data_dir);
    if let Some(name) = pg_name {
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await;
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing useful either way.
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let stores = std::env::var("BENCH_STORES").unwrap_or_else(|_| "sqlite postgres".into());
    for store in stores.split_whitespace() {
        bench(store).await;
    }
}
