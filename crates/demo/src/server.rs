//! The HTTP side: the router, the instrumentation middleware, and the
//! three ways to run the demo ([`serve`] on a listener, [`run`] on
//! [`DemoConfig::listen`], [`start`] in the background with a
//! [`DemoHandle`]).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::{Next, from_fn_with_state};
use axum::response::Response;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::background::{log_loop, stock_loop};
use crate::config::DemoConfig;
use crate::error::DemoError;
use crate::handlers;
use crate::metrics::{RequestLabels, RouteLabels};
use crate::state::DemoState;
use crate::tasks;

/// The `method` label: the standard methods as they are, anything else
/// `OTHER` (a client can send any token as a method).
fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// Lowers `http_requests_in_flight` when the request ends, also when the
/// client goes away and the handler future is dropped.
struct InFlight(DemoState);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.metrics().in_flight.dec();
    }
}

/// Counts and times every request by route template (`/slow`, never the
/// raw path; unknown paths are `other`).
async fn instrument(State(s): State<DemoState>, req: Request, next: Next) -> Response {
    let endpoint = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "other".to_string());
    let method = method_label(req.method()).to_string();
    s.metrics().in_flight.inc();
    let guard = InFlight(s.clone());
    let started = Instant::now();
    let resp = next.run(req).await;
    let elapsed = started.elapsed().as_secs_f64();
    drop(guard);
    let m = s.metrics();
    m.duration
        .get_or_create(&RouteLabels {
            method: method.clone(),
            endpoint: endpoint.clone(),
        })
        .observe(elapsed);
    m.requests
        .get_or_create(&RequestLabels {
            method,
            endpoint,
            status: resp.status().as_u16().to_string(),
        })
        .inc();
    resp
}

/// The routes and the statuses they answer, whose request series start
/// at zero.
const ROUTES: &[(&str, &[u16])] = &[
    ("/", &[200]),
    ("/metrics", &[200]),
    ("/update", &[200, 400]),
    ("/cpu", &[200, 400]),
    ("/cpu_task", &[200, 400, 429]),
    ("/ram_task", &[200, 400, 429]),
    ("/error", &[500]),
    ("/slow", &[200, 400]),
];

/// The demo's routes over `state`, instrumented.
pub(crate) fn router(state: DemoState) -> Router {
    state.metrics().init_routes(ROUTES);
    Router::new()
        .route("/", get(handlers::index))
        .route("/metrics", get(handlers::metrics))
        .route("/update", get(handlers::update))
        .route("/cpu", get(handlers::cpu))
        .route("/cpu_task", get(tasks::cpu_task))
        .route("/ram_task", get(tasks::ram_task))
        .route("/error", get(handlers::error))
        .route("/slow", get(handlers::slow))
        .fallback(handlers::not_found)
        .layer(from_fn_with_state(state.clone(), instrument))
        .with_state(state)
}

/// Serves the demo on `listener` until `shutdown` completes, with its
/// background tasks (log lines, stock walk). On shutdown, running CPU
/// and memory tasks end and `/slow` requests answer at once.
///
/// # Errors
///
/// [`DemoError::Serve`] when the listener fails.
pub async fn serve(
    listener: TcpListener,
    cfg: DemoConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), DemoError> {
    let (state, stop_tx) = DemoState::new(cfg);
    let stop_tx = Arc::new(stop_tx);
    let mut background = vec![tokio::spawn(stock_loop(state.clone()))];
    if let Some(every) = state.config().log_interval {
        background.push(tokio::spawn(log_loop(state.clone(), every)));
    }
    let stop = {
        let (state, stop_tx) = (state.clone(), stop_tx.clone());
        move || {
            state.mark_stopping();
            let _ = stop_tx.send(true);
        }
    };
    let stop2 = stop.clone();
    let result = axum::serve(listener, router(state))
        .with_graceful_shutdown(async move {
            shutdown.await;
            stop2();
        })
        .await;
    stop();
    for t in background {
        let _ = t.await;
    }
    result.map_err(|source| DemoError::Serve { source })
}

/// Binds [`DemoConfig::listen`] and [`serve`]s until `shutdown` completes.
///
/// # Errors
///
/// [`DemoError::Bind`] when the address cannot be bound,
/// [`DemoError::Serve`] when serving fails.
pub async fn run(
    cfg: DemoConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), DemoError> {
    let listener = bind(cfg.listen).await?;
    serve(listener, cfg, shutdown).await
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, DemoError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| DemoError::Bind { addr, source })
}

/// A demo running in the background, from [`start`]. Dropping it stops
/// the demo (without waiting); [`DemoHandle::shutdown`] stops it and waits.
#[derive(Debug)]
pub struct DemoHandle {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), DemoError>>>,
}

impl DemoHandle {
    /// The address the demo listens on (the real port when 0 was asked).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`, the base URL of the demo.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the demo and waits until it has stopped.
    ///
    /// # Errors
    ///
    /// What [`serve`] returned.
    pub async fn shutdown(mut self) -> Result<(), DemoError> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        match self.task.take() {
            Some(t) => t.await.unwrap_or_else(|e| {
                Err(DemoError::Serve {
                    source: std::io::Error::other(e.to_string()),
                })
            }),
            None => Ok(()),
        }
    }
}

impl Drop for DemoHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// Binds [`DemoConfig::listen`] (use `127.0.0.1:0` for a free port) and
/// runs the demo in a tokio task; the handle tells the address and stops
/// it. Must be called inside a tokio runtime.
///
/// # Errors
///
/// [`DemoError::Bind`] when the address cannot be bound.
pub async fn start(cfg: DemoConfig) -> Result<DemoHandle, DemoError> {
    let listener = bind(cfg.listen).await?;
    let addr = listener
        .local_addr()
        .map_err(|source| DemoError::Serve { source })?;
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, cfg, async move {
        let _ = rx.await;
    }));
    Ok(DemoHandle {
        addr,
        stop: Some(tx),
        task: Some(task),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_methods_are_one_label_value() {
        let m = Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&m), "OTHER");
        assert_eq!(method_label(&Method::GET), "GET");
    }
}
