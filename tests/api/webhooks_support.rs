//! What the webhook tests share: a real HTTP receiver on 127.0.0.1 that answers from a
//! script and hands every delivery to the test over a channel, an app whose dispatcher the
//! test steps by hand, and helpers to create endpoints and produce events.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use reqwest::{Client, Method};
use sandbank::app_state::AppState;
use sandbank::clock::ManualClock;
use sandbank::config::Settings;
use sandbank::startup::App;
use sandbank::workers::dispatcher::Dispatcher;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::harness::{Backend, KEY, json, settings_for};

/// How long a test waits for a delivery it expects before failing.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// What the receiver answers.
#[derive(Debug, Clone)]
pub enum Reply {
    Status(u16),
    /// A status and a body (to see it truncated in the attempt log).
    Body(u16, String),
    /// 429 or 503 with `Retry-After: secs`.
    RetryAfter(u16, u64),
    /// 302 to another path of the same receiver, which counts its hits.
    Redirect,
    /// 200 after this many milliseconds (a slow receiver keeps sends in flight).
    Slow(u64),
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Delivery {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON delivery")
    }

    pub fn event_id(&self) -> String {
        self.json()["id"].as_str().expect("an event id").to_owned()
    }

    pub fn signature(&self) -> String {
        self.headers["stripe-signature"].to_str().unwrap().to_owned()
    }
}

#[derive(Clone)]
struct ReceiverState {
    script: Arc<Mutex<VecDeque<Reply>>>,
    then: Reply,
    tx: mpsc::UnboundedSender<Delivery>,
    redirected_hits: Arc<AtomicUsize>,
    arrivals: Arc<watch::Sender<(usize, String)>>,
}

pub struct Receiver {
    /// Where endpoints point: `http://127.0.0.1:port/hook`.
    pub url: String,
    pub redirected_hits: Arc<AtomicUsize>,
    /// Requests arrived so far and the last one's event id, set before the answer is sent.
    pub arrivals: watch::Receiver<(usize, String)>,
    rx: mpsc::UnboundedReceiver<Delivery>,
    stop: CancellationToken,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn hook(State(s): State<ReceiverState>, headers: HeaderMap, body: Bytes) -> Response {
    let reply = s.script.lock().unwrap().pop_front().unwrap_or_else(|| s.then.clone());
    let id = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v["id"].as_str().map(str::to_owned));
    let _ = s.tx.send(Delivery { headers, body });
    s.arrivals.send_modify(|(n, last)| {
        *n += 1;
        *last = id.unwrap_or_default();
    });
    match reply {
        Reply::Status(code) => StatusCode::from_u16(code).unwrap().into_response(),
        Reply::Body(code, body) => (StatusCode::from_u16(code).unwrap(), body).into_response(),
        Reply::RetryAfter(code, secs) => {
            (StatusCode::from_u16(code).unwrap(), [("retry-after", secs.to_string())]).into_response()
        }
        Reply::Redirect => (StatusCode::FOUND, [("location", "/elsewhere")]).into_response(),
        Reply::Slow(ms) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            StatusCode::OK.into_response()
        }
    }
}

async fn elsewhere(State(s): State<ReceiverState>) -> StatusCode {
    s.redirected_hits.fetch_add(1, Ordering::SeqCst);
    StatusCode::OK
}

impl Receiver {
    /// Answers `script` in order, then `then` for ever.
    pub async fn start(script: Vec<Reply>, then: Reply) -> Self {
        Self::start_on(TcpListener::bind("127.0.0.1:0").await.unwrap(), script, then)
    }

    pub async fn ok() -> Self {
        Self::start(vec![], Reply::Status(200)).await
    }

    pub fn start_on(listener: TcpListener, script: Vec<Reply>, then: Reply) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let redirected_hits = Arc::new(AtomicUsize::new(0));
        let (arrivals_tx, arrivals) = watch::channel((0, String::new()));
        let state = ReceiverState {
            arrivals: Arc::new(arrivals_tx),
            script: Arc::new(Mutex::new(script.into())),
            then,
            tx,
            redirected_hits: redirected_hits.clone(),
        };
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let app = axum::Router::new()
            .route("/hook", post(hook))
            .route("/elsewhere", post(elsewhere).get(elsewhere))
            .with_state(state);
        let stop = CancellationToken::new();
        let serve = axum::serve(listener, app).with_graceful_shutdown(stop.clone().cancelled_owned());
        tokio::spawn(async move {
            let _ = serve.await;
        });
        Self {
            url,
            redirected_hits,
            arrivals,
            rx,
            stop,
        }
    }

    /// The next delivery; fails the test if none comes within [`PATIENCE`].
    pub async fn next(&mut self) -> Delivery {
        tokio::time::timeout(PATIENCE, self.rx.recv())
            .await
            .expect("a delivery within the patience window")
            .expect("the receiver is running")
    }

    /// A delivery already received, if any (after `step()` has returned, all are in).
    pub fn try_next(&mut self) -> Option<Delivery> {
        self.rx.try_recv().ok()
    }

    /// Everything received so far.
    pub fn drain(&mut self) -> Vec<Delivery> {
        std::iter::from_fn(|| self.try_next()).collect()
    }
}

/// A running app whose dispatcher runs only when the test calls [`StepApp::step`].
pub struct StepApp {
    pub base: String,
    pub clock: Arc<ManualClock>,
    pub client: Client,
    pub state: AppState,
    pub dispatcher: Dispatcher,
    shutdown: CancellationToken,
}

impl Drop for StepApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl StepApp {
    pub async fn spawn(backend: Backend, tweak: impl FnOnce(&mut Settings)) -> Self {
        let mut settings = settings_for(backend).await;
        settings.dispatcher = false;
        tweak(&mut settings);
        let clock = Arc::new(ManualClock::starting_at(now()));
        let app = App::build_with_clock(&settings, clock.clone())
            .await
            .expect("app builds");
        let base = format!("http://{}", app.address());
        let state = app.state().clone();
        let shutdown = app.shutdown_token();
        tokio::spawn(app.run());
        let dispatcher = Dispatcher::new(state.clone()).unwrap();
        Self {
            base,
            clock,
            client: Client::new(),
            state,
            dispatcher,
            shutdown,
        }
    }

    /// One dispatcher batch; returns how many deliveries were attempted.
    pub async fn step(&self) -> usize {
        self.dispatcher.step().await.expect("dispatch step")
    }

    /// Steps until nothing is due; returns how many attempts were made.
    pub async fn step_all(&self) -> usize {
        let mut total = 0;
        loop {
            match self.step().await {
                0 => return total,
                n => total += n,
            }
        }
    }

    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(KEY)
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
        json(self.request(Method::POST, path).form(form).send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        json(self.request(Method::GET, path).send().await.unwrap()).await
    }
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Creates an endpoint; returns `(id, secret)`.
pub async fn create_endpoint(base: &str, key: &str, url: &str, events: &[&str]) -> (String, String) {
    let mut form = vec![("url", url)];
    form.extend(events.iter().map(|e| ("enabled_events[]", *e)));
    let res = Client::new()
        .post(format!("{base}/v1/webhook_endpoints"))
        .bearer_auth(key)
        .form(&form)
        .send()
        .await
        .unwrap();
    let (status, body) = json(res).await;
    assert_eq!(status, 200, "{body}");
    (
        body["id"].as_str().unwrap().to_owned(),
        body["secret"].as_str().unwrap().to_owned(),
    )
}

/// Produces `count` synthetic events through the test helper; returns their ids.
pub async fn produce(base: &str, count: usize) -> Vec<String> {
    try_produce(&Client::new(), base, count).await.expect("events produced")
}

pub async fn try_produce(client: &Client, base: &str, count: usize) -> Result<Vec<String>, String> {
    let res = client
        .post(format!("{base}/v1/test_helpers/events"))
        .bearer_auth(KEY)
        .form(&[("count", count.to_string())])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if res.status() != 200 {
        return Err(format!("status {}", res.status()));
    }
    let body: Value = res.json().await.map_err(|e| e.to_string())?;
    Ok(body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect())
}

/// An HMAC-SHA256 check written from Stripe's documentation, independent of sandbank's own.
pub fn independent_hmac_ok(secret: &str, header: &str, body: &[u8]) -> bool {
    use hmac::{Hmac, Mac};
    let t = header
        .split(',')
        .find_map(|p| p.strip_prefix("t="))
        .expect("a timestamp");
    let v1 = header
        .split(',')
        .find_map(|p| p.strip_prefix("v1="))
        .expect("a v1 signature");
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    hex::encode(mac.finalize().into_bytes()) == v1
}
