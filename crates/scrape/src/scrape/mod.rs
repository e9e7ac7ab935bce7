//! Scraping: the pure append core, one HTTP fetch, the per-target loop,
//! the per-job pool and the manager that owns them.

pub mod append;
pub mod fetch;
pub mod manager;
pub mod pool;
pub mod scrape_loop;
