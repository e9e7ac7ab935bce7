//! [`DemoError`]: everything that can go wrong, and the one place that maps
//! an error to an HTTP status.

use std::net::SocketAddr;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// The errors of the demo service: starting it, and the requests it
/// refuses (each with the HTTP status it is answered with, see
/// [`DemoError::status`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    /// The listen address could not be bound.
    #[error("demo: binding {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The listener failed while serving (or its address was unknown).
    #[error("demo: serving: {source}")]
    Serve {
        /// Why.
        source: std::io::Error,
    },
    /// A required query parameter is absent.
    #[error("missing query parameter {name}: {expected}")]
    MissingParameter {
        /// The parameter.
        name: &'static str,
        /// What it should be, e.g. `a whole number of users, 0 or more`.
        expected: String,
    },
    /// A query parameter has a value the endpoint does not accept.
    #[error("invalid {name}={value:?}: {expected}")]
    BadParameter {
        /// The parameter.
        name: &'static str,
        /// The value as sent (cut to 64 characters).
        value: String,
        /// What it should be.
        expected: String,
    },
    /// A bounded resource is in use: too many CPU tasks, or the memory
    /// budget of `/ram_task` would be exceeded.
    #[error("busy: {what}")]
    Busy {
        /// What is exhausted, and the bound.
        what: String,
    },
    /// The allocator refused the memory of a `/ram_task`.
    #[error("could not allocate {bytes} bytes")]
    OutOfMemory {
        /// The size asked for.
        bytes: u64,
    },
}

impl DemoError {
    /// The HTTP status a request that failed this way is answered with:
    /// 400 for parameters, 429 when busy, 503 when memory is refused,
    /// 500 otherwise.
    pub fn status(&self) -> StatusCode {
        match self {
            DemoError::MissingParameter { .. } | DemoError::BadParameter { .. } => {
                StatusCode::BAD_REQUEST
            }
            DemoError::Busy { .. } => StatusCode::TOO_MANY_REQUESTS,
            DemoError::OutOfMemory { .. } => StatusCode::SERVICE_UNAVAILABLE,
            DemoError::Bind { .. } | DemoError::Serve { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A [`DemoError::BadParameter`], with the value cut to a bounded length.
    pub(crate) fn bad(name: &'static str, value: &str, expected: impl Into<String>) -> Self {
        DemoError::BadParameter {
            name,
            value: value.chars().take(64).collect(),
            expected: expected.into(),
        }
    }
}

impl IntoResponse for DemoError {
    fn into_response(self) -> Response {
        (self.status(), format!("{self}\n")).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_parameter_names_the_value_and_is_a_400() {
        let e = DemoError::bad("users", "-3", "must not be negative");
        assert_eq!(e.to_string(), "invalid users=\"-3\": must not be negative");
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn long_values_are_cut() {
        let e = DemoError::bad("ms", &"9".repeat(1000), "x");
        let DemoError::BadParameter { value, .. } = e else {
            panic!("wrong variant");
        };
        assert_eq!(value.len(), 64);
    }

    #[test]
    fn busy_is_429() {
        let e = DemoError::Busy { what: "x".into() };
        assert_eq!(e.status(), StatusCode::TOO_MANY_REQUESTS);
    }
}
