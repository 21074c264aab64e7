//! Builds the application (store, state, router, background upkeep) and runs it under one
//! cancellation token until SIGTERM or Ctrl-C, letting in-flight requests finish.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::app_state::{AppInner, AppState, BankState, KeyCache, RateLimiter, RefreshSettings};
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::domain::idempotency::IDEMPOTENCY_TTL_SECS;
use crate::store::Store;
use crate::{http, sandbox, store, workers};

/// How often expired idempotency keys and idle rate-limit buckets are dropped.
const UPKEEP_EVERY: Duration = Duration::from_secs(600);

/// The client for outbound calls: redirects are never followed (OAuth and webhooks must see
/// them), and every call is bounded in time.
fn outbound_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30))
        .build()?)
}

/// The first wait before opening the store again, and the longest.
const OPEN_RETRY_FIRST: Duration = Duration::from_millis(250);
const OPEN_RETRY_MAX: Duration = Duration::from_secs(5);

/// Opens (and migrates) the store and seeds the sandbox. The seed only inserts what is
/// missing (`ON CONFLICT DO NOTHING`, or an upsert of the same rows), so replicas starting
/// together on one database seed it once between them.
async fn open_seeded(
    settings: &Settings,
    cipher: Arc<crate::crypto::Cipher>,
    now: i64,
) -> crate::store::StoreResult<Arc<dyn Store>> {
    let store = store::open(&settings.store_location(), cipher).await?;
    sandbox::seed(store.as_ref(), settings.sandbox_key, now).await?;
    Ok(store)
}

/// A second handle on the same listening socket, so the start-up answers can be served on
/// one while the other is kept for the application: no connection is refused in between.
fn split_listener(listener: TcpListener) -> std::io::Result<(TcpListener, TcpListener)> {
    let socket = listener.into_std()?;
    let other = socket.try_clone()?;
    Ok((TcpListener::from_std(socket)?, TcpListener::from_std(other)?))
}

/// The start-up answers being served while the store cannot be opened.
struct Starting {
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl Starting {
    fn serve(listener: TcpListener, body_limit: usize, store: &'static str) -> Self {
        let stop = CancellationToken::new();
        let serve = axum::serve(
            http::parse_errors::StripeListener(listener),
            http::router_while_starting(body_limit, store),
        )
        .with_graceful_shutdown(stop.clone().cancelled_owned());
        let task = tokio::spawn(async move {
            if let Err(e) = serve.await {
                tracing::warn!(error = %e, "the start-up listener failed");
            }
        });
        Self { stop, task }
    }

    /// Stops accepting and lets the requests in flight finish.
    async fn stop(self) {
        self.stop.cancel();
        let _ = self.task.await;
    }
}

/// Opens (and migrates) the store the settings name, with their cipher.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Arc<dyn Store>> {
    let cipher = Arc::new(settings.cipher()?);
    Ok(store::open(&settings.store_location(), cipher).await?)
}

pub struct App {
    listener: TcpListener,
    state: AppState,
    shutdown: CancellationToken,
    grace: Duration,
    refresh_workers: usize,
    /// The webhook dispatcher this process runs, if any (`SANDBANK_DISPATCHER`).
    dispatcher: Option<workers::dispatcher::Dispatcher>,
}

impl App {
    /// Opens and migrates the store, seeds the sandbox, binds the listener.
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    /// As [`App::build`], reading time from `clock` (tests pass a [`ManualClock`]).
    ///
    /// [`ManualClock`]: crate::clock::ManualClock
    pub async fn build_with_clock(settings: &Settings, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let cipher = Arc::new(settings.cipher()?);
        let store = open_seeded(settings, cipher.clone(), clock.now()).await?;
        let listener = TcpListener::bind(settings.listen).await?;
        Self::assemble(settings, clock, cipher, store, listener).await
    }

    /// For `serve`: opens the store on `listener`'s behalf, and while the database is
    /// unavailable (down, not yet started) keeps the listener answering — `/healthz` 200,
    /// `/readyz` 503, every other request a 503 to retry — logs why, and tries again with
    /// capped exponential backoff. Any other failure (a bad URL, a refused password, a
    /// migration that does not apply) ends start-up with its error, as before. `None` when
    /// `shutdown` is cancelled first.
    pub async fn build_when_store_opens(
        settings: &Settings,
        listener: TcpListener,
        shutdown: &CancellationToken,
    ) -> anyhow::Result<Option<Self>> {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let cipher = Arc::new(settings.cipher()?);
        let location = settings.store_location();
        let mut listener = listener;
        let mut starting: Option<Starting> = None;
        let mut backoff = OPEN_RETRY_FIRST;
        let store = loop {
            match open_seeded(settings, cipher.clone(), clock.now()).await {
                Ok(store) => break store,
                Err(e) if e.is_unavailable() => {
                    if starting.is_none() {
                        let (kept, answering) = split_listener(listener)?;
                        listener = kept;
                        starting = Some(Starting::serve(answering, settings.body_limit, location.backend_name()));
                        tracing::info!(
                            address = %listener.local_addr()?,
                            "sandbank listening; not ready until the database answers"
                        );
                    }
                    tracing::warn!(
                        error = %e,
                        database = %location.describe(),
                        retry_in_ms = backoff.as_millis() as u64,
                        "the database is unavailable; retrying"
                    );
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        () = shutdown.cancelled() => {
                            if let Some(s) = starting {
                                s.stop().await;
                            }
                            return Ok(None);
                        }
                    }
                    backoff = (backoff * 2).min(OPEN_RETRY_MAX);
                }
                Err(e) => return Err(e.into()),
            }
        };
        if let Some(s) = starting {
            tracing::info!(database = %location.describe(), "the database answers; store opened");
            s.stop().await;
        }
        Ok(Some(Self::assemble(settings, clock, cipher, store, listener).await?))
    }

    /// The application around an opened store, on a bound listener.
    async fn assemble(
        settings: &Settings,
        clock: Arc<dyn Clock>,
        cipher: Arc<crate::crypto::Cipher>,
        store: Arc<dyn Store>,
        listener: TcpListener,
    ) -> anyhow::Result<Self> {
        let public_url = settings.public_url_for(listener.local_addr()?);
        let bank = BankState::load(&store, &public_url)
            .await?
            .with_slow_delay(Duration::from_millis(settings.slow_bank_delay_ms))
            .with_fixed_code(settings.bank_fixed_code);
        let state = AppState(Arc::new(AppInner {
            store,
            clock,
            keys: KeyCache::new(),
            rate_limiter: RateLimiter::new(settings.rate_limit),
            body_limit: settings.body_limit,
            public_url,
            cipher,
            http: outbound_client()?,
            bank,
            worker_id: format!("worker_{}", crate::domain::ids::random_base62(12)),
            jobs_ready: tokio::sync::Notify::new(),
            ownership_match_limit: settings.ownership_match_limit,
            refresh: RefreshSettings {
                cooldown_secs: settings.refresh_cooldown_secs,
                lease_secs: settings.job_lease_secs,
                poll_ms: settings.worker_poll_ms,
            },
            delivery: settings.delivery_config()?,
            writes: tokio_util::task::TaskTracker::new(),
        }));
        let dispatcher = workers::dispatcher::Dispatcher::for_app(&state, &settings.store_location()).await?;
        Ok(Self {
            listener,
            state,
            shutdown: CancellationToken::new(),
            grace: Duration::from_secs(settings.shutdown_grace_secs),
            refresh_workers: settings.refresh_workers,
            dispatcher,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Cancelling it stops the server gracefully.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Serves until the token is cancelled, then gives in-flight requests the grace period.
    pub async fn run(self) -> anyhow::Result<()> {
        let Self {
            listener,
            state,
            shutdown,
            grace,
            refresh_workers,
            dispatcher,
        } = self;
        tokio::spawn(upkeep(state.clone(), shutdown.clone()));
        tokio::spawn(workers::refresh::run(state.clone(), refresh_workers, shutdown.clone()));
        // Awaited at the end so sends in flight are recorded before the process exits.
        let dispatching = dispatcher.map(|d| tokio::spawn(d.run(shutdown.clone())));
        let writes = state.writes.clone();
        // With the peer address: the bank pages throttle sign-in per client address.
        let serve = axum::serve(
            http::parse_errors::StripeListener(listener),
            http::router(state).into_make_service_with_connect_info::<http::bank::PeerAddr>(),
        )
        .with_graceful_shutdown(shutdown.clone().cancelled_owned());
        // Connections are closed once served; writes whose client left may still be running.
        let server = async {
            serve.await?;
            writes.close();
            writes.wait().await;
            anyhow::Ok(())
        };
        let deadline = async {
            shutdown.cancelled().await;
            tokio::time::sleep(grace).await;
        };
        tokio::select! {
            result = server => result?,
            () = deadline => tracing::warn!("grace period over; dropping unfinished requests"),
        }
        if let Some(dispatching) = dispatching {
            let _ = dispatching.await;
        }
        tracing::info!("server stopped");
        Ok(())
    }
}

async fn upkeep(state: AppState, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(UPKEEP_EVERY);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = shutdown.cancelled() => return,
        }
        if let Some(limiter) = &state.rate_limiter {
            limiter.shrink();
        }
        let before = state.clock.now() - IDEMPOTENCY_TTL_SECS;
        match state.store.purge_idempotency_keys(before).await {
            Ok(n) if n > 0 => tracing::info!(purged = n, "expired idempotency keys dropped"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "idempotency purge failed"),
        }
    }
}

/// Cancels `token` on Ctrl-C or SIGTERM.
pub async fn cancel_on_signal(token: CancellationToken) {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
    token.cancel();
}
