//! ferrotrade's Rust core: pure-Rust engines with PyO3 bindings behind the `python` feature.
//!
//! - [`book`]: an L3 limit order book with price-time priority and O(1) cancel.
//! - [`matching`]: a matching engine on that book (limit, market, stop, stop-limit; GTC/IOC/FOK/DAY).
//! - [`bar_matching`]: a deterministic bar matching engine for bar backtests.
//! - [`tracker`]: a FIFO trade tracker turning fills into round trips.
//! - [`lobster`]: LOBSTER message/orderbook replay with row-by-row checking.
//!
//! Nothing outside `python` knows about Python, so `cargo test` needs no interpreter.

pub mod bar_matching;
pub mod batch;
pub mod book;
pub mod lobster;
pub mod matching;
pub mod stream;
pub mod tracker;
pub mod types;

#[cfg(feature = "python")]
mod python;
