//! The Prometheus API's JSON envelope and its error → status map.
//!
//! Every API handler returns `Result<ApiResponse, ApiError>`. Success is
//! `{"status":"success","data":...}` with optional `warnings` and `infos`;
//! failure is `{"status":"error","errorType":...,"error":...}` with the
//! status code Prometheus gives for that error type. This module is the one
//! place where error kinds become HTTP statuses.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// A successful API answer.
#[derive(Debug)]
pub struct ApiResponse {
    /// The `data` member.
    pub data: Value,
    /// The `data` member as ready JSON text; when set it is sent instead of
    /// `data` (query results are written by hand, see [`super::json`]).
    pub raw_data: Option<String>,
    /// Warnings (`warnings` member), omitted when empty.
    pub warnings: Vec<String>,
    /// Info annotations (`infos` member), omitted when empty.
    pub infos: Vec<String>,
}

impl ApiResponse {
    /// A success with `data` and no annotations.
    pub fn new(data: Value) -> Self {
        ApiResponse {
            data,
            raw_data: None,
            warnings: Vec::new(),
            infos: Vec::new(),
        }
    }

    /// A success whose `data` is JSON text written elsewhere.
    pub fn raw(json: String) -> Self {
        ApiResponse {
            data: Value::Null,
            raw_data: Some(json),
            warnings: Vec::new(),
            infos: Vec::new(),
        }
    }
}

impl IntoResponse for ApiResponse {
    fn into_response(self) -> Response {
        if let Some(raw) = self.raw_data {
            let mut body = String::with_capacity(raw.len() + 64);
            body.push_str("{\"status\":\"success\",\"data\":");
            body.push_str(&raw);
            for (key, list) in [("warnings", &self.warnings), ("infos", &self.infos)] {
                if !list.is_empty() {
                    body.push_str(",\"");
                    body.push_str(key);
                    body.push_str("\":");
                    body.push_str(&json!(list).to_string());
                }
            }
            body.push('}');
            return (
                StatusCode::OK,
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                body,
            )
                .into_response();
        }
        let mut body = json!({"status": "success", "data": self.data});
        if !self.warnings.is_empty() {
            body["warnings"] = json!(self.warnings);
        }
        if !self.infos.is_empty() {
            body["infos"] = json!(self.infos);
        }
        (StatusCode::OK, Json(body)).into_response()
    }
}

/// The error types of the Prometheus API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorType {
    /// The request is wrong: 400.
    BadData,
    /// The query failed while running: 422.
    Execution,
    /// The query was canceled: 503.
    Canceled,
    /// The query ran out of time: 503.
    Timeout,
    /// Something went wrong on our side: 500.
    Internal,
    /// No such thing: 404.
    NotFound,
    /// Not available now (not ready, disabled): 503.
    Unavailable,
}

impl ErrorType {
    /// The `errorType` string.
    pub fn as_str(&self) -> &'static str {
        match self {
            ErrorType::BadData => "bad_data",
            ErrorType::Execution => "execution",
            ErrorType::Canceled => "canceled",
            ErrorType::Timeout => "timeout",
            ErrorType::Internal => "internal",
            ErrorType::NotFound => "not_found",
            ErrorType::Unavailable => "unavailable",
        }
    }

    /// The HTTP status Prometheus answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            ErrorType::BadData => StatusCode::BAD_REQUEST,
            ErrorType::Execution => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorType::Canceled | ErrorType::Timeout | ErrorType::Unavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ErrorType::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorType::NotFound => StatusCode::NOT_FOUND,
        }
    }

    /// Maps an `errorType` string back (unknown strings are `internal`).
    pub fn parse(s: &str) -> ErrorType {
        match s {
            "bad_data" => ErrorType::BadData,
            "execution" => ErrorType::Execution,
            "canceled" => ErrorType::Canceled,
            "timeout" => ErrorType::Timeout,
            "not_found" => ErrorType::NotFound,
            "unavailable" => ErrorType::Unavailable,
            _ => ErrorType::Internal,
        }
    }
}

/// A failed API answer.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The kind, which picks the status code.
    pub kind: ErrorType,
    /// The message for the `error` member.
    pub message: String,
}

impl ApiError {
    /// A `bad_data` error (400).
    pub fn bad_data(message: impl Into<String>) -> Self {
        ApiError {
            kind: ErrorType::BadData,
            message: message.into(),
        }
    }

    /// An `internal` error (500).
    pub fn internal(message: impl Into<String>) -> Self {
        ApiError {
            kind: ErrorType::Internal,
            message: message.into(),
        }
    }

    /// An `unavailable` error (503).
    pub fn unavailable(message: impl Into<String>) -> Self {
        ApiError {
            kind: ErrorType::Unavailable,
            message: message.into(),
        }
    }

    /// A `not_found` error (404).
    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError {
            kind: ErrorType::NotFound,
            message: message.into(),
        }
    }
}

impl From<telltale_model::StorageError> for ApiError {
    fn from(e: telltale_model::StorageError) -> Self {
        use telltale_model::StorageError as E;
        let kind = match &e {
            E::Limit(_) => ErrorType::Execution,
            E::Unavailable(_) => ErrorType::Unavailable,
            _ => ErrorType::Internal,
        };
        ApiError {
            kind,
            message: e.to_string(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "status": "error",
            "errorType": self.kind.as_str(),
            "error": self.message,
        });
        (self.kind.status(), Json(body)).into_response()
    }
}

/// What API handlers return.
pub type ApiResult = Result<ApiResponse, ApiError>;
