//! Fair delivery: a receiver that accepts connections and never answers holds only its own
//! endpoint's slots, so a healthy endpoint on another platform gets its events promptly even
//! with the hanging endpoint's whole backlog queued first. Measured from just before the
//! request that creates each batch of events to the receiver's arrival (an upper bound on
//! "event created → received"). The healthy events come in batches of 10 every 100 ms (a
//! steady 100 events/s, not a throughput benchmark): what is measured is waiting, not speed.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use reqwest::Client;
use serde_json::Value;
use tokio::net::TcpListener;

use crate::both_stores;
use crate::customers::create_platform_key;
use crate::harness::{Backend, KEY, TestApp, settings_for};
use crate::webhooks_support::{PATIENCE, Receiver, Reply, StepApp, create_endpoint, produce};

both_stores!(
    a_hanging_receiver_does_not_delay_another_platforms_webhooks,
    the_per_endpoint_cap_holds_across_dispatchers,
);

const EVENTS: usize = 200;
const BATCH: usize = 10;

/// Accepts every connection and holds it open without reading or answering.
async fn hanging_receiver() -> (String, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    (url, task)
}

async fn produce_as(base: &str, key: &str, count: usize) -> Vec<String> {
    let res = Client::new()
        .post(format!("{base}/v1/test_helpers/events"))
        .bearer_auth(key)
        .form(&[("count", count.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

async fn a_hanging_receiver_does_not_delay_another_platforms_webhooks(backend: Backend) {
    let mut settings = settings_for(backend).await;
    // Each hanging send holds its slot this long; short, so the test ends soon.
    settings.webhook_timeout_ms = 3_000;
    // The deployed pool size (tests default to 4): sends, records and the API share it.
    settings.db_max_connections = 16;
    let app = TestApp::spawn_with(settings).await;
    let (hanging_url, hanging) = hanging_receiver().await;
    create_endpoint(&app.base, KEY, &hanging_url, &["*"]).await;
    let other_key = create_platform_key(&app).await;
    let mut healthy = Receiver::ok().await;
    create_endpoint(&app.base, &other_key, &healthy.url, &["*"]).await;

    // The hanging endpoint's whole backlog first: first-in-first-out would put every one of
    // the healthy endpoint's events behind it.
    produce_as(&app.base, KEY, EVENTS).await;
    let arrivals = tokio::spawn(async move {
        let mut at = HashMap::new();
        while at.len() < EVENTS {
            let d = healthy.next().await;
            at.entry(d.event_id()).or_insert_with(Instant::now);
        }
        at
    });
    let mut created = HashMap::new();
    let mut pace = tokio::time::interval(Duration::from_millis(100));
    for _ in 0..EVENTS / BATCH {
        pace.tick().await;
        let before = Instant::now();
        for id in produce_as(&app.base, &other_key, BATCH).await {
            created.insert(id, before);
        }
    }
    let arrived = tokio::time::timeout(PATIENCE, arrivals)
        .await
        .expect("every healthy event arrives")
        .unwrap();
    let mut latencies: Vec<Duration> = created
        .iter()
        .map(|(id, before)| arrived[id].duration_since(*before))
        .collect();
    latencies.sort();
    let (p50, p99, max) = (
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        latencies[latencies.len() - 1],
    );
    eprintln!(
        "fairness {backend:?}: healthy endpoint delivery over {} events: p50 {p50:?}, p99 {p99:?}, max {max:?}",
        latencies.len()
    );
    assert!(p99 < Duration::from_secs(1), "p99 {p99:?} (p50 {p50:?}, max {max:?})");
    hanging.abort();
}

/// Two dispatchers claiming at the same moment from one store (on Postgres, as two processes
/// would) take no more than the endpoint's cap between them: each counts the other's leases.
async fn the_per_endpoint_cap_holds_across_dispatchers(backend: Backend) {
    let app = StepApp::spawn(backend, |s| s.webhook_endpoint_concurrency = 3).await;
    let mut slow = Receiver::start(vec![], Reply::Slow(300)).await;
    create_endpoint(&app.base, KEY, &slow.url, &["*"]).await;
    produce(&app.base, 20).await;
    let other = sandbank::workers::dispatcher::Dispatcher::new(app.state.clone()).unwrap();
    let (a, b) = tokio::join!(app.dispatcher.step(), other.step());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a + b, 3, "the cap is shared: {a} + {b}");
    assert_eq!(slow.drain().len(), 3);
    assert_eq!(app.step_all().await, 17, "the rest follow, three at a time");
}
