//! A seeded synthetic order stream for benchmarks and differential tests.
//!
//! The mix imitates a busy equity book: about 48% passive limit orders placed a geometric
//! number of ticks behind the touch (so prices cluster around the mid), about 32% cancels of a
//! random live order, about 15% modifies (mostly size-downs, some re-prices) and about 5%
//! crossing orders (marketable limits and market orders, some IOC). The mid drifts as a slow
//! random walk. The book settles at about [`MAX_LIVE`] orders. The same seed gives the same
//! stream on every host.

use rustc_hash::FxHashMap;

use crate::batch::{encode, COLUMNS};
use crate::matching::{Command, EventKind, MatchingEngine, OrderRequest};
use crate::types::{OrderId, OrderType, Price, Side, TimeInForce};

/// The book holds at most this many live orders: adds turn into cancels beyond it, so the
/// book settles at a realistic size instead of growing for the whole run.
pub const MAX_LIVE: usize = 5_000;

/// SplitMix64: tiny, fast, and good enough for workload generation.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, n).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() >> 32) * n) >> 32
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Generates `n` commands as flat rows (see [`crate::batch`]), starting around `mid` ticks.
pub fn generate(n: usize, seed: u64, mid: Price) -> Vec<i64> {
    let mut rng = SplitMix64::new(seed);
    let mut shadow = MatchingEngine::new();
    let mut live: Vec<u64> = Vec::new();
    let mut pos: FxHashMap<u64, usize> = FxHashMap::default();
    let mut rows = Vec::with_capacity(n * COLUMNS);
    let mut next_id: u64 = 1;
    let mut mid = mid;
    for i in 0..n {
        let ts = i as i64;
        if rng.below(64) == 0 {
            mid += rng.below(3) as i64 - 1;
        }
        let mut roll = rng.below(100);
        if roll < 48 && live.len() >= MAX_LIVE {
            roll = 48 + rng.below(32); // a full book: this add becomes a cancel
        }
        let cmd = if live.len() < 64 || roll < 48 {
            let side = if rng.below(2) == 0 {
                Side::Buy
            } else {
                Side::Sell
            };
            let mut offset = 1;
            while offset < 40 && rng.below(100) < 70 {
                offset += 1;
            }
            let price = match side {
                Side::Buy => mid - offset,
                Side::Sell => mid + offset,
            }
            .max(1);
            let qty = 1 + rng.below(10) * rng.below(10);
            let id = next_id;
            next_id += 1;
            Command::Submit(OrderRequest::limit(id, side, price, qty, ts))
        } else if roll < 80 {
            let id = live[rng.below(live.len() as u64) as usize];
            Command::Cancel {
                id: OrderId(id),
                ts,
            }
        } else if roll < 95 {
            let id = live[rng.below(live.len() as u64) as usize];
            let order = shadow.book().order(OrderId(id)).expect("live order rests");
            if rng.below(4) == 0 {
                let step = if order.side == Side::Buy { -1 } else { 1 };
                Command::Modify {
                    id: OrderId(id),
                    qty: order.qty,
                    price: Some((order.price + step).max(1)),
                    ts,
                }
            } else {
                Command::Modify {
                    id: OrderId(id),
                    qty: (order.qty / 2).max(1),
                    price: None,
                    ts,
                }
            }
        } else {
            let side = if rng.below(2) == 0 {
                Side::Buy
            } else {
                Side::Sell
            };
            let qty = 1 + rng.below(30);
            let id = next_id;
            next_id += 1;
            let touch = shadow.book().best_price(side.opposite()).unwrap_or(mid);
            let through = rng.below(3) as i64;
            let limit = match side {
                Side::Buy => touch + through,
                Side::Sell => (touch - through).max(1),
            };
            let kind = rng.below(10);
            let req = OrderRequest::limit(id, side, limit, qty, ts);
            Command::Submit(match kind {
                0..=1 => OrderRequest {
                    order_type: OrderType::Market,
                    price: None,
                    tif: TimeInForce::Ioc,
                    ..req
                },
                2..=4 => req.with_tif(TimeInForce::Ioc),
                _ => req,
            })
        };
        rows.extend(encode(&cmd));
        shadow
            .apply(&cmd)
            .expect("generated commands are valid by construction");
        let (_, events) = shadow.drain();
        for e in events {
            let id = e.id.0;
            let rests = shadow.book().contains(e.id);
            match e.kind {
                EventKind::Accepted | EventKind::Modified if rests && !pos.contains_key(&id) => {
                    pos.insert(id, live.len());
                    live.push(id);
                }
                _ if !rests => {
                    if let Some(p) = pos.remove(&id) {
                        live.swap_remove(p);
                        if p < live.len() {
                            pos.insert(live[p], p);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::apply_rows;

    #[test]
    fn same_seed_same_stream_and_every_row_applies() {
        let a = generate(20_000, 7, 10_000);
        assert_eq!(a, generate(20_000, 7, 10_000));
        assert_ne!(a, generate(20_000, 8, 10_000));
        let mut engine = MatchingEngine::new();
        assert!(apply_rows(&mut engine, &a).is_empty());
        engine.book().check_integrity().unwrap();
        let crossing = engine.trades.len();
        assert!(crossing > 200, "too few trades: {crossing}");
    }
}
