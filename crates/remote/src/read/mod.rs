//! Remote read: the server side (`POST /api/v1/read`).

pub mod server;

pub use server::{ReadLimits, remote_read_router};

#[cfg(test)]
mod tests;
