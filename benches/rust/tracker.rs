//! FIFO tracker throughput: `add_fill` over a seeded stream of 100k fills across 10 symbols,
//! mixing opens/adds (~45 %), partial closes (~40 %) and flips through zero (~15 %).
//!
//! Run: `cargo bench -p ferrotrade-core --bench tracker`. Each iteration replays the whole stream
//! into a reused tracker (`reset` keeps the round-trip buffer's capacity), so the figure is
//! fills per second including round-trip construction.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ferrotrade_core::tracker::{FifoTracker, Fill};
use ferrotrade_core::types::Side;

const FILLS: usize = 100_000;
const SYMBOLS: u32 = 10;
const SEED: u64 = 0x5EED_F1F0;

/// SplitMix64: a tiny seeded generator, so the stream is the same on every host.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n small; modulo bias is irrelevant here).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn stream(n: usize, symbols: u32, seed: u64) -> Vec<Fill> {
    let mut rng = SplitMix64(seed);
    let mut position = vec![0i64; symbols as usize];
    let mut price = vec![100.0f64; symbols as usize];
    let mut ts = 1_700_000_000_000_000_000i64;
    (0..n)
        .map(|_| {
            let s = rng.below(u64::from(symbols)) as usize;
            ts += 1 + rng.below(60_000_000_000) as i64;
            price[s] = (price[s] * (1.0 + (rng.below(201) as f64 - 100.0) * 1e-4)).max(1.0);
            let pos = position[s];
            let roll = rng.below(100);
            let (side, qty) = if pos == 0 || roll < 45 {
                // Open or add in the position's direction (random when flat).
                let side = match pos.signum() {
                    1 => Side::Buy,
                    -1 => Side::Sell,
                    _ if rng.below(2) == 0 => Side::Buy,
                    _ => Side::Sell,
                };
                (side, 1 + rng.below(100))
            } else {
                let against = if pos > 0 { Side::Sell } else { Side::Buy };
                let held = pos.unsigned_abs();
                if roll < 85 {
                    (against, 1 + rng.below(held))
                } else {
                    (against, held + 1 + rng.below(100))
                }
            };
            position[s] += side.sign() * qty as i64;
            Fill {
                symbol: s as u32,
                side,
                qty,
                price: price[s],
                fee: qty as f64 * 0.005,
                ts,
            }
        })
        .collect()
}

fn bench_tracker(c: &mut Criterion) {
    let fills = stream(FILLS, SYMBOLS, SEED);
    let mut group = c.benchmark_group("tracker");
    group.throughput(Throughput::Elements(fills.len() as u64));

    let mut tracker = FifoTracker::new(1.0).expect("valid lot size");
    group.bench_function("add_fill/100k_fills_10_symbols", |b| {
        b.iter(|| {
            tracker.reset();
            let mut closed = 0;
            for fill in &fills {
                closed += tracker.add_fill(black_box(fill)).expect("valid fill");
            }
            black_box(closed)
        })
    });

    let mut tracker = FifoTracker::new(1.0).expect("valid lot size");
    group.bench_function("add_fills/100k_fills_10_symbols", |b| {
        b.iter(|| {
            tracker.reset();
            black_box(tracker.add_fills(black_box(&fills)).expect("valid batch"))
        })
    });
    group.finish();
}

criterion_group!(benches, bench_tracker);
criterion_main!(benches);
