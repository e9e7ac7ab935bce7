//! Running HTTP requests from the synchronous [`Querier`] seam.
//!
//! [`Querier::select`] is a plain function that PromQL, rules and the API
//! call from whatever thread they are on, possibly a tokio worker. The
//! bridge owns a small runtime (one worker thread) of its own, runs each
//! request there and waits on a channel with a deadline, so it works from
//! any thread and never needs the caller's runtime.
//!
//! [`Querier`]: telltale_model::Querier
//! [`Querier::select`]: telltale_model::Querier::select

use std::future::Future;
use std::time::Duration;

use telltale_model::StorageError;

/// A private runtime for blocking calls.
pub struct Bridge {
    rt: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for Bridge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Bridge")
    }
}

impl Bridge {
    /// Starts the runtime.
    ///
    /// # Errors
    ///
    /// [`StorageError::Unavailable`] if the thread cannot be started.
    pub fn new(name: &str) -> Result<Self, StorageError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name(name)
            .enable_all()
            .build()
            .map_err(|e| StorageError::Unavailable(format!("remote query runtime: {e}")))?;
        Ok(Bridge { rt: Some(rt) })
    }

    /// Runs `fut` on the bridge's runtime and waits for it at most `timeout`.
    ///
    /// # Errors
    ///
    /// The future's error, or [`StorageError::Unavailable`] on timeout.
    pub fn run<T, F>(&self, timeout: Duration, fut: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, StorageError>> + Send + 'static,
    {
        let Some(rt) = &self.rt else {
            return Err(StorageError::Unavailable(
                "remote query runtime stopped".into(),
            ));
        };
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        rt.spawn(async move {
            let r = match tokio::time::timeout(timeout, fut).await {
                Ok(r) => r,
                Err(_) => Err(StorageError::Unavailable(format!(
                    "remote query timed out after {timeout:?}"
                ))),
            };
            let _ = tx.send(r);
        });
        rx.recv_timeout(timeout + Duration::from_secs(1))
            .unwrap_or_else(|_| {
                Err(StorageError::Unavailable(format!(
                    "remote query timed out after {timeout:?}"
                )))
            })
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        // Dropping a runtime inside another one panics; this does not.
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}
