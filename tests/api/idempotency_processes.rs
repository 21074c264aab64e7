//! One effect per `Idempotency-Key` when the process dies: the real binary is SIGKILLed during
//! a burst of keyed `POST /v1/customers` from several clients, restarted on the same store, and
//! every key is retried. Each key must have made exactly one customer, and every retry must be
//! answered at once (a claim whose process died is not held for the lease).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::Client;
use serde_json::Value;
use tokio::sync::Mutex;

use crate::harness::{Backend, KEY, fresh_data_dir, fresh_postgres_url};
use crate::process::Server;

/// Concurrent clients, each sending its keys one after another.
const CLIENTS: usize = 8;
/// The server is killed once this many keyed requests were answered.
const KILL_AFTER_ACKS: usize = 120;

crate::both_stores!(sigkill_during_keyed_creates_leaves_one_customer_per_key);

/// Starts `sandbank` over `database_url` (SQLite in `data_dir` when `None`), with no refresh
/// workers and no rate limit.
async fn start(database_url: Option<&str>, data_dir: &Path) -> Server {
    let mut envs = vec![("SANDBANK_RATE_LIMIT", "0"), ("SANDBANK_REFRESH_WORKERS", "0")];
    if let Some(url) = database_url {
        envs.push(("DATABASE_URL", url));
    }
    Server::start(data_dir, &envs).await
}

/// The keyed create every attempt of `key` sends: the key is also a metadata tag, so the
/// customers it made can be counted.
async fn create(client: &Client, base: &str, key: &str) -> reqwest::Result<reqwest::Response> {
    client
        .post(format!("{base}/v1/customers"))
        .basic_auth(KEY, Some(""))
        .header("idempotency-key", key)
        .form(&[("name", "Idem Tester"), ("metadata[idem_key]", key)])
        .timeout(Duration::from_secs(30))
        .send()
        .await
}

/// Customers per `metadata[idem_key]`, through the list API.
async fn customers_per_key(client: &Client, base: &str) -> HashMap<String, Vec<String>> {
    let mut per_key: HashMap<String, Vec<String>> = HashMap::new();
    let mut after: Option<String> = None;
    loop {
        let mut url = format!("{base}/v1/customers?limit=100");
        if let Some(id) = &after {
            url.push_str(&format!("&starting_after={id}"));
        }
        let page: Value = client
            .get(url)
            .basic_auth(KEY, Some(""))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let data = page["data"].as_array().unwrap();
        for c in data {
            if let Some(key) = c["metadata"]["idem_key"].as_str() {
                per_key
                    .entry(key.to_owned())
                    .or_default()
                    .push(c["id"].as_str().unwrap().to_owned());
            }
        }
        if page["has_more"] != true {
            return per_key;
        }
        after = data.last().map(|c| c["id"].as_str().unwrap().to_owned());
    }
}

async fn sigkill_during_keyed_creates_leaves_one_customer_per_key(backend: Backend) {
    let db = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(fresh_postgres_url().await),
    };
    let dir = fresh_data_dir();
    let mut server = start(db.as_deref(), &dir).await;

    // Every key a client sent (answered or not), and the customer id of those answered.
    let sent: Arc<Mutex<Vec<String>>> = Arc::default();
    let answered: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    let acks = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (base, sent, answered, acks) = (server.base.clone(), sent.clone(), answered.clone(), acks.clone());
            tokio::spawn(async move {
                let client = Client::new();
                for i in 0.. {
                    let key = format!("burst-{c}-{i}");
                    sent.lock().await.push(key.clone());
                    // A request the kill cut off ends this client's burst.
                    let Ok(res) = create(&client, &base, &key).await else {
                        return;
                    };
                    assert_eq!(res.status(), 200, "key {key} before the kill");
                    let Ok(body) = res.json::<Value>().await else { return };
                    answered
                        .lock()
                        .await
                        .insert(key, body["id"].as_str().unwrap().to_owned());
                    acks.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    tokio::time::timeout(Duration::from_secs(120), async {
        while acks.load(Ordering::SeqCst) < KILL_AFTER_ACKS {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await
    .expect("the burst gets going");
    server.child.start_kill().unwrap(); // SIGKILL, with requests in flight
    server.child.wait().await.unwrap();
    for c in clients {
        c.await.unwrap();
    }

    let server = start(db.as_deref(), &dir).await;
    let client = Client::new();
    let sent = sent.lock().await.clone();
    let answered = answered.lock().await.clone();
    let mut replayed = 0;
    for key in &sent {
        let res = create(&client, &server.base, key).await.unwrap();
        let status = res.status();
        let was_replay = res.headers().get("idempotent-replayed").is_some();
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, 200, "the retry of {key} is answered at once: {body}");
        replayed += usize::from(was_replay);
        if let Some(first) = answered.get(key) {
            assert!(was_replay, "{key} was answered before the kill: its retry replays");
            assert_eq!(body["id"], first.as_str(), "the replay of {key} is the first answer");
        }
    }

    let per_key = customers_per_key(&client, &server.base).await;
    let duplicates: Vec<_> = per_key.iter().filter(|(_, ids)| ids.len() > 1).collect();
    let missing = sent.iter().filter(|k| !per_key.contains_key(*k)).count();
    let report = format!(
        "{backend:?}: SIGKILL during keyed creates: {} keys sent, {} answered before the kill, \
         {} retries replayed, {} keys with more than one customer, {missing} keys with none",
        sent.len(),
        answered.len(),
        replayed,
        duplicates.len(),
    );
    println!("{report}");
    eprintln!("{report}");
    assert!(duplicates.is_empty(), "one customer per key: {duplicates:?}");
    assert_eq!(missing, 0, "every retried key made its customer");
    assert!(answered.len() >= KILL_AFTER_ACKS);
}
