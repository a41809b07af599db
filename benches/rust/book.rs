//! Criterion benches of the pure-Rust order book and matching engine.
//!
//! - `mixed_stream`: the seeded synthetic stream (adds, cancels, modifies, ~5% crossing).
//! - `market_sweep`: market orders sweeping several price levels of a refilled book.
//! - `deep_level_cancel`: cancels from the middle of a 15,000-order level (O(1) whatever depth).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use ferrotrade_core::batch::{apply_rows, COLUMNS};
use ferrotrade_core::book::{OrderBook, RestingOrder};
use ferrotrade_core::matching::{MatchingEngine, OrderRequest};
use ferrotrade_core::stream::generate;
use ferrotrade_core::types::{OrderId, Side};

fn mixed_stream(c: &mut Criterion) {
    let n = 200_000;
    let rows = generate(n, 42, 10_000);
    let mut group = c.benchmark_group("matching");
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function("mixed_stream_200k", |b| {
        b.iter_batched(
            MatchingEngine::new,
            |mut engine| {
                // Consume events in chunks, as a live consumer would.
                let mut errors = 0;
                let mut trades = 0;
                for chunk in rows.chunks(4096 * COLUMNS) {
                    errors += apply_rows(&mut engine, black_box(chunk)).len();
                    trades += engine.trades.len();
                    engine.clear_output();
                }
                black_box((errors, trades))
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn market_sweep(c: &mut Criterion) {
    let mut group = c.benchmark_group("matching");
    group.throughput(Throughput::Elements(1));
    group.bench_function("market_order_sweeping_10_levels", |b| {
        b.iter_batched(
            || {
                let mut engine = MatchingEngine::new();
                for level in 0..10 {
                    for k in 0..5 {
                        let id = 1 + level * 5 + k;
                        engine
                            .submit(OrderRequest::limit(
                                id,
                                Side::Sell,
                                100 + level as i64,
                                2,
                                0,
                            ))
                            .unwrap();
                    }
                }
                engine.clear_output();
                engine
            },
            |mut engine| {
                engine
                    .submit(OrderRequest::market(1_000, Side::Buy, 100, 1))
                    .unwrap();
                black_box(engine.trades.len())
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn deep_level_cancel(c: &mut Criterion) {
    let depth = 15_000u64;
    let mut book = OrderBook::with_capacity(depth as usize + 1);
    for id in 0..depth {
        book.add(RestingOrder {
            id: OrderId(id),
            side: Side::Buy,
            price: 100,
            qty: 1,
            ts: 0,
            tag: 0,
        })
        .unwrap();
    }
    // Cancel an order from the middle of the queue and re-add it under a fresh id.
    let mut ids: Vec<u64> = (0..depth).collect();
    let mut slot = (depth / 2) as usize;
    let mut group = c.benchmark_group("book");
    group.throughput(Throughput::Elements(2));
    group.bench_function("cancel_and_readd_mid_queue_of_15k_level", |b| {
        b.iter(|| {
            let order = book.cancel(OrderId(ids[slot])).unwrap();
            ids[slot] ^= 1 << 40;
            book.add(RestingOrder {
                id: OrderId(ids[slot]),
                ..order
            })
            .unwrap();
            slot = (slot + 7919) % depth as usize;
            black_box(book.len())
        })
    });
    group.finish();
}

criterion_group!(benches, mixed_stream, market_sweep, deep_level_cancel);
criterion_main!(benches);
