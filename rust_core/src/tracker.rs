//! A FIFO trade tracker: fills in, round trips out.
//!
//! Invariants, per symbol:
//! - open lots all have the position's direction, and their quantities sum to `|position|`,
//!   where the position is the signed sum of fills (buys +, sells −);
//! - quantity that opened positions = quantity closed in round trips + quantity in open lots;
//! - realized P&L = the sum of the symbol's round trips' `pnl`; every fill's fee ends up in
//!   exactly one place: a round trip's `entry_fee`/`exit_fee` or an open lot's `entry_fee`.
//!
//! # Rules
//!
//! - A fill in the direction of the position (or on a flat symbol) opens a lot at its price,
//!   carrying its whole fee as entry fee.
//! - An opposite fill closes open lots oldest first. Each lot (or part of one) closed gives one
//!   [`RoundTrip`]. Fees are allocated pro rata by quantity: the round trip carries its share of
//!   the lot's entry fee and of the closing fill's fee; the last share of each fee takes what is
//!   left of it, so the shares add back up to the fee (to rounding).
//! - A fill larger than the position closes every open lot, then opens the rest as a new lot in
//!   its own direction, with its share of that fill's fee (a flip through zero).
//! - `pnl = (exit − entry) × qty_units × direction − entry_fee − exit_fee`, with
//!   `qty_units = quantity × lot_size` and direction +1 long (opened by a buy), −1 short;
//!   `ret = pnl / (entry_price × qty_units)` (a fraction, 0.01 = 1 %);
//!   `holding_period_days = (exit_time − entry_time) / 86 400 × 10⁹`.
//! - Realized P&L counts closed round trips only, so an open lot's entry fee is not in it yet;
//!   [`FifoTracker::fees_paid`] counts every fee.
//!
//! Validation returns [`TrackerError`] and changes nothing: quantity > 0, price finite and > 0,
//! fee finite and ≥ 0, fill times non-decreasing per symbol, and `|position| ≤ i64::MAX` lots.
//! [`FifoTracker::add_fills`] checks a whole batch before applying any of it.
//!
//! Symbols are `u32` ids chosen by the caller, best dense from 0: ids below 65 536 index a table
//! directly (memory grows with the largest such id), larger ids live in a hash map. Every output
//! that spans symbols is ordered by symbol id (or, for round trips, by closing order), so results
//! are deterministic.

use std::collections::VecDeque;

use rustc_hash::FxHashMap;
use thiserror::Error;

use crate::types::{Qty, Side, TimestampNs};

/// Nanoseconds in a day.
const NS_PER_DAY: f64 = 86_400e9;

/// Why a fill or setting was refused. The tracker is unchanged after any error.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum TrackerError {
    #[error("lot_size must be finite and > 0, got {0}")]
    InvalidLotSize(f64),
    #[error("fill quantity must be positive")]
    InvalidQuantity,
    #[error("fill price must be finite and > 0, got {0}")]
    InvalidPrice(f64),
    #[error("fill fee must be finite and >= 0, got {0}")]
    InvalidFee(f64),
    #[error("symbol {symbol}: fill at {ts} is earlier than the previous fill at {last_ts}")]
    OutOfOrderFill {
        symbol: u32,
        ts: TimestampNs,
        last_ts: TimestampNs,
    },
    #[error("symbol {symbol}: position would exceed i64::MAX lots")]
    PositionOverflow { symbol: u32 },
    #[error("fill {index} of the batch: {source}")]
    InBatch {
        index: usize,
        #[source]
        source: Box<TrackerError>,
    },
}

/// One execution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fill {
    pub symbol: u32,
    pub side: Side,
    /// Quantity in lots, > 0.
    pub qty: Qty,
    /// Price per unit, finite and > 0.
    pub price: f64,
    /// Total fee for this fill, finite and ≥ 0.
    pub fee: f64,
    pub ts: TimestampNs,
}

/// An open position lot: what is left of one opening fill.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OpenLot {
    /// Direction of the position the lot belongs to (Buy = long, Sell = short).
    pub side: Side,
    /// Lots still open.
    pub qty: Qty,
    pub price: f64,
    pub ts: TimestampNs,
    /// The part of the opening fill's fee not yet allocated to a round trip.
    pub entry_fee: f64,
}

/// A closed (part of a) lot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RoundTrip {
    pub symbol: u32,
    /// Buy = long, Sell = short.
    pub direction: Side,
    pub entry_time: TimestampNs,
    pub exit_time: TimestampNs,
    pub entry_price: f64,
    pub exit_price: f64,
    /// Lots closed.
    pub quantity: Qty,
    /// Net of `entry_fee` and `exit_fee`.
    pub pnl: f64,
    /// `pnl / (entry_price × quantity × lot_size)`, a fraction.
    pub ret: f64,
    pub holding_period_days: f64,
    pub entry_fee: f64,
    pub exit_fee: f64,
}

#[derive(Debug, Clone)]
#[cfg_attr(test, derive(PartialEq))]
struct SymbolState {
    lots: VecDeque<OpenLot>,
    /// The open lots' side; `None` when flat. Kept here to spare a pointer chase per fill.
    direction: Option<Side>,
    /// Sum of `lots[..].qty`; ≤ i64::MAX.
    open_qty: Qty,
    realized_pnl: f64,
    fees_paid: f64,
    last_ts: TimestampNs,
}

impl SymbolState {
    fn new() -> Self {
        SymbolState {
            lots: VecDeque::new(),
            direction: None,
            open_qty: 0,
            realized_pnl: 0.0,
            fees_paid: 0.0,
            last_ts: TimestampNs::MIN,
        }
    }

    fn position(&self) -> i64 {
        match self.direction {
            None => 0,
            // open_qty ≤ i64::MAX is an invariant.
            Some(side) => side.sign() * self.open_qty as i64,
        }
    }
}

/// Ids below this index a table directly; larger ids go to a hash map.
const DENSE_IDS: u32 = 1 << 16;

/// Per-symbol state: a directly indexed table for small ids (the usual dense 0..n mapping from
/// the Python side; memory grows with the largest such id) and a hash map for the rest.
#[derive(Debug, Clone, Default)]
#[cfg_attr(test, derive(PartialEq))]
struct SymbolTable {
    dense: Vec<Option<SymbolState>>,
    sparse: FxHashMap<u32, SymbolState>,
}

impl SymbolTable {
    #[inline]
    fn get(&self, id: u32) -> Option<&SymbolState> {
        if id < DENSE_IDS {
            self.dense.get(id as usize)?.as_ref()
        } else {
            self.sparse.get(&id)
        }
    }

    #[inline]
    fn get_mut(&mut self, id: u32) -> Option<&mut SymbolState> {
        if id < DENSE_IDS {
            self.dense.get_mut(id as usize)?.as_mut()
        } else {
            self.sparse.get_mut(&id)
        }
    }

    fn get_or_insert(&mut self, id: u32) -> &mut SymbolState {
        if id < DENSE_IDS {
            let i = id as usize;
            if i >= self.dense.len() {
                self.dense.resize_with(i + 1, || None);
            }
            self.dense[i].get_or_insert_with(SymbolState::new)
        } else {
            self.sparse.entry(id).or_insert_with(SymbolState::new)
        }
    }

    /// Every symbol with state, ascending by id.
    fn iter_sorted(&self) -> impl Iterator<Item = (u32, &SymbolState)> {
        let mut sparse: Vec<(u32, &SymbolState)> =
            self.sparse.iter().map(|(id, s)| (*id, s)).collect();
        sparse.sort_unstable_by_key(|(id, _)| *id);
        let dense = self
            .dense
            .iter()
            .enumerate()
            .filter_map(|(i, s)| Some((i as u32, s.as_ref()?)));
        dense.chain(sparse)
    }

    fn clear(&mut self) {
        self.dense.clear();
        self.sparse.clear();
    }
}

/// The position after `fill` from `position`, if it stays within ±i64::MAX lots.
fn next_position(position: i64, fill: &Fill) -> Option<i64> {
    let next = i128::from(position) + i128::from(fill.side.sign()) * i128::from(fill.qty);
    if next.unsigned_abs() > i64::MAX as u128 {
        None
    } else {
        Some(next as i64)
    }
}

/// Checks a fill on its own (not ordering or overflow).
fn validate_fill(fill: &Fill) -> Result<(), TrackerError> {
    if fill.qty == 0 {
        return Err(TrackerError::InvalidQuantity);
    }
    if !(fill.price.is_finite() && fill.price > 0.0) {
        return Err(TrackerError::InvalidPrice(fill.price));
    }
    if !(fill.fee.is_finite() && fill.fee >= 0.0) {
        return Err(TrackerError::InvalidFee(fill.fee));
    }
    Ok(())
}

/// Applies a fill already checked; cannot fail.
fn apply_fill(
    state: &mut SymbolState,
    round_trips: &mut Vec<RoundTrip>,
    lot_size: f64,
    fill: &Fill,
) -> usize {
    state.last_ts = fill.ts;
    state.fees_paid += fill.fee;

    let mut remaining = fill.qty;
    let mut fee_left = fill.fee;
    let mut closed = 0;
    if state.direction == Some(fill.side.opposite()) {
        let fee_per_lot = fill.fee / fill.qty as f64;
        while remaining > 0 {
            let Some(lot) = state.lots.front_mut() else {
                break;
            };
            let take = lot.qty.min(remaining);
            // Pro rata fee shares; the last share of each fee takes its remainder.
            let entry_fee = if take == lot.qty {
                lot.entry_fee
            } else {
                lot.entry_fee * (take as f64 / lot.qty as f64)
            };
            let exit_fee = if take == remaining {
                fee_left
            } else {
                fee_per_lot * take as f64
            };
            let direction = lot.side;
            let units = take as f64 * lot_size;
            let gross = (fill.price - lot.price) * units * direction.sign() as f64;
            let pnl = gross - entry_fee - exit_fee;
            round_trips.push(RoundTrip {
                symbol: fill.symbol,
                direction,
                entry_time: lot.ts,
                exit_time: fill.ts,
                entry_price: lot.price,
                exit_price: fill.price,
                quantity: take,
                pnl,
                ret: pnl / (lot.price * units),
                // fill.ts >= lot.ts (fills are in time order); abs_diff cannot overflow.
                holding_period_days: fill.ts.abs_diff(lot.ts) as f64 / NS_PER_DAY,
                entry_fee,
                exit_fee,
            });
            state.realized_pnl += pnl;
            closed += 1;
            remaining -= take;
            fee_left -= exit_fee;
            state.open_qty -= take;
            if take == lot.qty {
                state.lots.pop_front();
            } else {
                lot.qty -= take;
                lot.entry_fee -= entry_fee;
            }
        }
        if state.lots.is_empty() {
            state.direction = None;
        }
    }
    if remaining > 0 {
        state.lots.push_back(OpenLot {
            side: fill.side,
            qty: remaining,
            price: fill.price,
            ts: fill.ts,
            entry_fee: fee_left.max(0.0),
        });
        state.open_qty += remaining;
        state.direction = Some(fill.side);
    }
    closed
}

/// FIFO round-trip tracker over many symbols; see the module docs for the rules.
#[derive(Debug, Clone)]
#[cfg_attr(test, derive(PartialEq))]
pub struct FifoTracker {
    lot_size: f64,
    symbols: SymbolTable,
    round_trips: Vec<RoundTrip>,
}

impl FifoTracker {
    /// A tracker where one lot is `lot_size` units (1.0 for whole shares, 1e-8 for satoshis).
    pub fn new(lot_size: f64) -> Result<Self, TrackerError> {
        if !(lot_size.is_finite() && lot_size > 0.0) {
            return Err(TrackerError::InvalidLotSize(lot_size));
        }
        Ok(FifoTracker {
            lot_size,
            symbols: SymbolTable::default(),
            round_trips: Vec::new(),
        })
    }

    /// Units per lot.
    pub fn lot_size(&self) -> f64 {
        self.lot_size
    }

    /// Applies one fill; returns how many round trips it closed.
    pub fn add_fill(&mut self, fill: &Fill) -> Result<usize, TrackerError> {
        validate_fill(fill)?;
        let state = match self.symbols.get_mut(fill.symbol) {
            Some(state) => {
                if fill.ts < state.last_ts {
                    return Err(TrackerError::OutOfOrderFill {
                        symbol: fill.symbol,
                        ts: fill.ts,
                        last_ts: state.last_ts,
                    });
                }
                if next_position(state.position(), fill).is_none() {
                    return Err(TrackerError::PositionOverflow {
                        symbol: fill.symbol,
                    });
                }
                state
            }
            None => {
                if next_position(0, fill).is_none() {
                    return Err(TrackerError::PositionOverflow {
                        symbol: fill.symbol,
                    });
                }
                self.symbols.get_or_insert(fill.symbol)
            }
        };
        Ok(apply_fill(
            state,
            &mut self.round_trips,
            self.lot_size,
            fill,
        ))
    }

    /// Applies a batch of fills in order, all or nothing: the whole batch is checked first and
    /// an error ([`TrackerError::InBatch`], with the offending index) applies none of it.
    /// Returns how many round trips the batch closed.
    pub fn add_fills(&mut self, fills: &[Fill]) -> Result<usize, TrackerError> {
        // Simulated (last_ts, position) per symbol touched by the batch.
        let mut sim: FxHashMap<u32, (TimestampNs, i64)> = FxHashMap::default();
        for (index, fill) in fills.iter().enumerate() {
            let in_batch = |source| TrackerError::InBatch {
                index,
                source: Box::new(source),
            };
            validate_fill(fill).map_err(in_batch)?;
            let (last_ts, position) = sim.entry(fill.symbol).or_insert_with(|| {
                self.symbols
                    .get(fill.symbol)
                    .map_or((TimestampNs::MIN, 0), |s| (s.last_ts, s.position()))
            });
            if fill.ts < *last_ts {
                return Err(in_batch(TrackerError::OutOfOrderFill {
                    symbol: fill.symbol,
                    ts: fill.ts,
                    last_ts: *last_ts,
                }));
            }
            *position = next_position(*position, fill).ok_or_else(|| {
                in_batch(TrackerError::PositionOverflow {
                    symbol: fill.symbol,
                })
            })?;
            *last_ts = fill.ts;
        }
        let mut closed = 0;
        for fill in fills {
            let state = self.symbols.get_or_insert(fill.symbol);
            closed += apply_fill(state, &mut self.round_trips, self.lot_size, fill);
        }
        Ok(closed)
    }

    /// Signed position in lots (long > 0, short < 0; 0 for an unknown symbol).
    pub fn position(&self, symbol: u32) -> i64 {
        self.symbols.get(symbol).map_or(0, SymbolState::position)
    }

    /// The symbol's open lots, oldest first.
    pub fn open_lots(&self, symbol: u32) -> Vec<OpenLot> {
        self.symbols
            .get(symbol)
            .map_or_else(Vec::new, |s| s.lots.iter().copied().collect())
    }

    /// Realized P&L of one symbol: the sum of its round trips' `pnl`.
    pub fn realized_pnl(&self, symbol: u32) -> f64 {
        self.symbols.get(symbol).map_or(0.0, |s| s.realized_pnl)
    }

    /// Realized P&L over all symbols, summed in symbol-id order.
    pub fn total_realized_pnl(&self) -> f64 {
        self.sum_by_symbol(|s| s.realized_pnl)
    }

    /// Fees of every fill of one symbol, opening or closing.
    pub fn symbol_fees_paid(&self, symbol: u32) -> f64 {
        self.symbols.get(symbol).map_or(0.0, |s| s.fees_paid)
    }

    /// Fees of every fill, summed in symbol-id order.
    pub fn fees_paid(&self) -> f64 {
        self.sum_by_symbol(|s| s.fees_paid)
    }

    /// Every symbol that has had a fill, ascending.
    pub fn symbols(&self) -> Vec<u32> {
        self.symbols.iter_sorted().map(|(id, _)| id).collect()
    }

    /// Round trips not yet taken, in the order they closed.
    pub fn round_trips(&self) -> &[RoundTrip] {
        &self.round_trips
    }

    /// Takes the round trips closed so far (in closing order); the tracker keeps its buffer's
    /// capacity for the next ones. Positions and P&L are unaffected.
    pub fn take_round_trips(&mut self) -> Vec<RoundTrip> {
        self.round_trips.drain(..).collect()
    }

    /// Forgets everything (positions, P&L, fees, round trips), keeping the round-trip buffer's
    /// capacity: the way to reuse one tracker across runs.
    pub fn reset(&mut self) {
        self.symbols.clear();
        self.round_trips.clear();
    }

    fn sum_by_symbol(&self, value: impl Fn(&SymbolState) -> f64) -> f64 {
        self.symbols.iter_sorted().map(|(_, s)| value(s)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use Side::{Buy, Sell};

    const DAY: TimestampNs = 86_400_000_000_000;

    fn fill(symbol: u32, side: Side, qty: Qty, price: f64, fee: f64, ts: TimestampNs) -> Fill {
        Fill {
            symbol,
            side,
            qty,
            price,
            fee,
            ts,
        }
    }

    fn tracker() -> FifoTracker {
        FifoTracker::new(1.0).unwrap()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
    }

    #[test]
    fn lot_size_must_be_finite_and_positive() {
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                FifoTracker::new(bad),
                Err(TrackerError::InvalidLotSize(_))
            ));
        }
        assert_eq!(FifoTracker::new(1e-8).unwrap().lot_size(), 1e-8);
    }

    #[test]
    fn buy_then_sell_closes_one_long_round_trip() {
        let mut t = tracker();
        assert_eq!(t.add_fill(&fill(7, Buy, 10, 100.0, 1.0, 0)), Ok(0));
        assert_eq!(t.position(7), 10);
        assert_eq!(t.add_fill(&fill(7, Sell, 10, 110.0, 2.0, 2 * DAY)), Ok(1));
        assert_eq!(
            t.round_trips(),
            &[RoundTrip {
                symbol: 7,
                direction: Buy,
                entry_time: 0,
                exit_time: 2 * DAY,
                entry_price: 100.0,
                exit_price: 110.0,
                quantity: 10,
                pnl: 97.0,
                ret: 0.097,
                holding_period_days: 2.0,
                entry_fee: 1.0,
                exit_fee: 2.0,
            }]
        );
        assert_eq!(t.position(7), 0);
        assert!(t.open_lots(7).is_empty());
        assert_eq!(t.realized_pnl(7), 97.0);
        assert_eq!(t.fees_paid(), 3.0);
    }

    #[test]
    fn short_then_cover_lower_is_a_profitable_short_round_trip() {
        let mut t = tracker();
        t.add_fill(&fill(1, Sell, 4, 50.0, 0.0, 0)).unwrap();
        assert_eq!(t.position(1), -4);
        t.add_fill(&fill(1, Buy, 4, 45.0, 0.0, DAY / 2)).unwrap();
        let rt = t.round_trips()[0];
        assert_eq!(rt.direction, Sell);
        assert_eq!(rt.pnl, 20.0);
        assert_eq!(rt.ret, 0.1);
        assert_eq!(rt.holding_period_days, 0.5);
        assert_eq!(t.position(1), 0);
    }

    #[test]
    fn adding_to_a_position_opens_another_lot() {
        let mut t = tracker();
        t.add_fill(&fill(1, Buy, 5, 10.0, 0.5, 1)).unwrap();
        t.add_fill(&fill(1, Buy, 3, 12.0, 0.3, 2)).unwrap();
        assert_eq!(t.position(1), 8);
        assert_eq!(
            t.open_lots(1),
            vec![
                OpenLot {
                    side: Buy,
                    qty: 5,
                    price: 10.0,
                    ts: 1,
                    entry_fee: 0.5
                },
                OpenLot {
                    side: Buy,
                    qty: 3,
                    price: 12.0,
                    ts: 2,
                    entry_fee: 0.3
                },
            ]
        );
        assert!(t.round_trips().is_empty());
    }

    #[test]
    fn partial_close_splits_the_entry_fee_pro_rata() {
        let mut t = tracker();
        t.add_fill(&fill(1, Buy, 10, 100.0, 4.0, 0)).unwrap();
        assert_eq!(t.add_fill(&fill(1, Sell, 4, 105.0, 1.0, DAY)), Ok(1));
        let rt = t.round_trips()[0];
        assert_eq!((rt.quantity, rt.entry_fee, rt.exit_fee), (4, 1.6, 1.0));
        assert!(close(rt.pnl, 20.0 - 1.6 - 1.0));
        assert_eq!(t.position(1), 6);
        let lots = t.open_lots(1);
        assert_eq!(lots.len(), 1);
        assert_eq!((lots[0].qty, lots[0].price, lots[0].ts), (6, 100.0, 0));
        assert!(close(lots[0].entry_fee, 2.4));
    }

    #[test]
    fn closing_fill_consumes_oldest_lots_first() {
        let mut t = tracker();
        t.add_fill(&fill(1, Buy, 5, 10.0, 0.0, 1)).unwrap();
        t.add_fill(&fill(1, Buy, 5, 20.0, 0.0, 2)).unwrap();
        t.add_fill(&fill(1, Buy, 5, 30.0, 0.0, 3)).unwrap();
        assert_eq!(t.add_fill(&fill(1, Sell, 7, 25.0, 0.7, 4)), Ok(2));
        let rts = t.round_trips();
        assert_eq!(
            rts.iter()
                .map(|r| (r.entry_price, r.quantity, r.pnl))
                .collect::<Vec<_>>(),
            vec![(10.0, 5, 75.0 - 0.5), (20.0, 2, 10.0 - 0.2)]
        );
        assert!(close(rts[0].exit_fee, 0.5) && close(rts[1].exit_fee, 0.2));
        let lots = t.open_lots(1);
        assert_eq!(
            lots.iter().map(|l| (l.price, l.qty)).collect::<Vec<_>>(),
            vec![(20.0, 3), (30.0, 5)]
        );
    }

    #[test]
    fn sell_more_than_long_flips_to_short() {
        let mut t = tracker();
        t.add_fill(&fill(3, Buy, 10, 100.0, 1.0, 0)).unwrap();
        assert_eq!(t.add_fill(&fill(3, Sell, 15, 90.0, 3.0, DAY)), Ok(1));
        let rt = t.round_trips()[0];
        assert_eq!((rt.direction, rt.quantity), (Buy, 10));
        assert_eq!((rt.entry_fee, rt.exit_fee), (1.0, 2.0));
        assert_eq!(rt.pnl, -100.0 - 3.0);
        assert_eq!(t.position(3), -5);
        assert_eq!(
            t.open_lots(3),
            vec![OpenLot {
                side: Sell,
                qty: 5,
                price: 90.0,
                ts: DAY,
                entry_fee: 1.0
            }]
        );
        // Covering the new short closes it as a short round trip.
        t.add_fill(&fill(3, Buy, 5, 80.0, 0.0, 2 * DAY)).unwrap();
        let rt = t.round_trips()[1];
        assert_eq!((rt.direction, rt.quantity, rt.pnl), (Sell, 5, 50.0 - 1.0));
        assert_eq!(t.position(3), 0);
        assert_eq!(t.realized_pnl(3), -103.0 + 49.0);
    }

    #[test]
    fn buy_more_than_short_flips_to_long() {
        let mut t = tracker();
        t.add_fill(&fill(0, Sell, 2, 10.0, 0.0, 0)).unwrap();
        t.add_fill(&fill(0, Sell, 2, 12.0, 0.0, 1)).unwrap();
        assert_eq!(t.add_fill(&fill(0, Buy, 10, 11.0, 0.0, 2)), Ok(2));
        assert_eq!(t.position(0), 6);
        let pnls: Vec<f64> = t.round_trips().iter().map(|r| r.pnl).collect();
        assert_eq!(pnls, vec![-2.0, 2.0]);
        assert_eq!(t.open_lots(0)[0].side, Buy);
    }

    #[test]
    fn lot_size_converts_lots_to_units() {
        let mut t = FifoTracker::new(1e-8).unwrap();
        // 0.5 BTC bought at 20 000 and sold at 22 000.
        t.add_fill(&fill(0, Buy, 50_000_000, 20_000.0, 0.0, 0))
            .unwrap();
        t.add_fill(&fill(0, Sell, 50_000_000, 22_000.0, 0.0, 1))
            .unwrap();
        let rt = t.round_trips()[0];
        assert!(close(rt.pnl, 1_000.0));
        assert!(close(rt.ret, 0.1));
    }

    #[test]
    fn symbols_are_independent_and_totals_sum_in_id_order() {
        let mut t = tracker();
        let big = u32::MAX;
        for (symbol, entry, exit) in [(big, 10.0, 11.0), (2, 10.0, 8.0), (70_000, 1.0, 1.5)] {
            t.add_fill(&fill(symbol, Buy, 2, entry, 0.0, 0)).unwrap();
            t.add_fill(&fill(symbol, Sell, 1, exit, 0.25, 1)).unwrap();
        }
        assert_eq!(t.symbols(), vec![2, 70_000, big]);
        assert_eq!(
            [
                t.position(2),
                t.position(70_000),
                t.position(big),
                t.position(4)
            ],
            [1, 1, 1, 0]
        );
        assert_eq!(t.realized_pnl(2), -2.25);
        assert_eq!(t.realized_pnl(70_000), 0.25);
        assert_eq!(t.realized_pnl(big), 0.75);
        assert_eq!(t.total_realized_pnl(), -2.25 + 0.25 + 0.75);
        assert_eq!(t.fees_paid(), 0.75);
        assert_eq!(t.symbol_fees_paid(70_000), 0.25);
        // Round trips come in closing order, not symbol order.
        let order: Vec<u32> = t.round_trips().iter().map(|r| r.symbol).collect();
        assert_eq!(order, vec![big, 2, 70_000]);
    }

    /// A tracker with a long, a short and some closed trades.
    fn busy() -> FifoTracker {
        let mut t = tracker();
        t.add_fill(&fill(1, Buy, 10, 100.0, 1.0, 10)).unwrap();
        t.add_fill(&fill(1, Sell, 4, 101.0, 1.0, 20)).unwrap();
        t.add_fill(&fill(2, Sell, 3, 50.0, 0.0, 30)).unwrap();
        t
    }

    #[test]
    fn invalid_fills_leave_the_tracker_unchanged() {
        let bad = [
            (
                fill(1, Buy, 0, 100.0, 0.0, 30),
                TrackerError::InvalidQuantity,
            ),
            (
                fill(1, Buy, 1, 0.0, 0.0, 30),
                TrackerError::InvalidPrice(0.0),
            ),
            (
                fill(1, Buy, 1, -5.0, 0.0, 30),
                TrackerError::InvalidPrice(-5.0),
            ),
            (
                fill(1, Buy, 1, f64::INFINITY, 0.0, 30),
                TrackerError::InvalidPrice(f64::INFINITY),
            ),
            (
                fill(1, Buy, 1, 1.0, -0.1, 30),
                TrackerError::InvalidFee(-0.1),
            ),
            (
                fill(1, Buy, 1, 1.0, 0.0, 19),
                TrackerError::OutOfOrderFill {
                    symbol: 1,
                    ts: 19,
                    last_ts: 20,
                },
            ),
            (
                fill(1, Buy, i64::MAX as Qty, 1.0, 0.0, 30),
                TrackerError::PositionOverflow { symbol: 1 },
            ),
            (
                fill(8, Sell, Qty::MAX, 1.0, 0.0, 30),
                TrackerError::PositionOverflow { symbol: 8 },
            ),
        ];
        for (f, err) in bad {
            let mut t = busy();
            let before = t.clone();
            assert_eq!(t.add_fill(&f), Err(err));
            assert_eq!(t, before);
        }
        for f in [
            fill(1, Buy, 1, f64::NAN, 0.0, 30),
            fill(1, Buy, 1, 1.0, f64::NAN, 30),
        ] {
            let mut t = busy();
            let before = t.clone();
            assert!(t.add_fill(&f).is_err());
            assert_eq!(t, before);
        }
    }

    #[test]
    fn fills_at_the_same_time_are_in_order() {
        let mut t = busy();
        assert_eq!(t.add_fill(&fill(1, Sell, 6, 99.0, 0.0, 20)), Ok(1));
        assert_eq!(t.position(1), 0);
    }

    #[test]
    fn position_may_reach_i64_max_exactly() {
        let mut t = tracker();
        t.add_fill(&fill(0, Sell, i64::MAX as Qty, 1.0, 0.0, 0))
            .unwrap();
        assert_eq!(t.position(0), -i64::MAX);
        assert_eq!(
            t.add_fill(&fill(0, Sell, 1, 1.0, 0.0, 0)),
            Err(TrackerError::PositionOverflow { symbol: 0 })
        );
        // Flipping through zero to the other extreme is fine.
        t.add_fill(&fill(0, Buy, Qty::MAX - 1, 1.0, 0.0, 0))
            .unwrap();
        assert_eq!(t.position(0), i64::MAX);
    }

    #[test]
    fn batch_with_a_bad_fill_applies_nothing() {
        let cases = [
            (fill(1, Buy, 1, 1.0, f64::INFINITY, 40), "fee"),
            (fill(2, Buy, 1, 1.0, 0.0, 29), "order"),
            (fill(2, Sell, i64::MAX as Qty, 1.0, 0.0, 40), "overflow"),
        ];
        for (bad, what) in cases {
            let mut t = busy();
            let before = t.clone();
            let batch = [
                fill(1, Sell, 6, 102.0, 0.5, 30),
                fill(2, Buy, 1, 49.0, 0.0, 35),
                bad,
                fill(3, Buy, 1, 1.0, 0.0, 0),
            ];
            match t.add_fills(&batch) {
                Err(TrackerError::InBatch { index: 2, .. }) => {}
                other => panic!("{what}: {other:?}"),
            }
            assert_eq!(t, before, "{what}");
        }
    }

    #[test]
    fn batch_checks_ordering_against_earlier_fills_of_the_batch() {
        let mut t = tracker();
        let batch = [fill(4, Buy, 1, 1.0, 0.0, 10), fill(4, Buy, 1, 1.0, 0.0, 9)];
        assert_eq!(
            t.add_fills(&batch),
            Err(TrackerError::InBatch {
                index: 1,
                source: Box::new(TrackerError::OutOfOrderFill {
                    symbol: 4,
                    ts: 9,
                    last_ts: 10
                }),
            })
        );
        assert!(t.symbols().is_empty());
    }

    #[test]
    fn batch_equals_one_by_one() {
        let fills = [
            fill(1, Buy, 10, 100.0, 1.0, 0),
            fill(2, Sell, 5, 20.0, 0.1, 1),
            fill(1, Sell, 15, 101.0, 1.5, 2),
            fill(2, Buy, 2, 19.0, 0.1, 3),
            fill(1, Buy, 5, 99.0, 0.0, 4),
        ];
        let mut a = tracker();
        let mut closed = 0;
        for f in &fills {
            closed += a.add_fill(f).unwrap();
        }
        let mut b = tracker();
        assert_eq!(b.add_fills(&fills), Ok(closed));
        assert_eq!(a, b);
        assert_eq!(closed, 3);
    }

    #[test]
    fn take_round_trips_drains_them_but_keeps_positions() {
        let mut t = busy();
        let taken = t.take_round_trips();
        assert_eq!(taken.len(), 1);
        assert!(t.round_trips().is_empty());
        assert_eq!(t.position(1), 6);
        assert_eq!(t.realized_pnl(1), taken[0].pnl);
        t.add_fill(&fill(1, Sell, 6, 101.0, 0.0, 40)).unwrap();
        assert_eq!(t.round_trips().len(), 1);
    }

    #[test]
    fn reset_forgets_everything() {
        let mut t = busy();
        t.reset();
        assert_eq!(t, tracker());
        assert!(t.symbols().is_empty());
        assert_eq!(t.total_realized_pnl(), 0.0);
        // Earlier timestamps are fine again.
        t.add_fill(&fill(1, Buy, 1, 1.0, 0.0, 0)).unwrap();
    }

    // ---- Properties ----

    /// Dense and sparse ids.
    const SYMBOLS: [u32; 3] = [0, 1, 70_000];

    fn arb_fills() -> impl Strategy<Value = Vec<Fill>> {
        prop::collection::vec(
            (
                prop::sample::select(SYMBOLS.to_vec()),
                any::<bool>(),
                1u64..60,
                100u32..20_000,
                0u32..500,
                0i64..(3 * DAY),
            ),
            0..80,
        )
        .prop_map(|raw| {
            let mut ts = 0;
            raw.into_iter()
                .map(|(symbol, buy, qty, price_c, fee_c, dt)| {
                    ts += dt;
                    Fill {
                        symbol,
                        side: if buy { Buy } else { Sell },
                        qty,
                        price: f64::from(price_c) / 100.0,
                        fee: f64::from(fee_c) / 100.0,
                        ts,
                    }
                })
                .collect()
        })
    }

    /// A deliberately naive FIFO: one queue entry per lot.
    #[derive(Default)]
    struct Reference {
        units: VecDeque<f64>,
        direction: i64,
        opened: Qty,
        closed: Qty,
        gross: f64,
        position: i64,
        fees: f64,
    }

    impl Reference {
        fn add(&mut self, f: &Fill, lot_size: f64) {
            let sign = f.side.sign();
            self.position += sign * f.qty as i64;
            self.fees += f.fee;
            for _ in 0..f.qty {
                if self.direction == -sign && !self.units.is_empty() {
                    let entry = self.units.pop_front().unwrap();
                    self.gross += (f.price - entry) * lot_size * self.direction as f64;
                    self.closed += 1;
                } else {
                    self.direction = sign;
                    self.units.push_back(f.price);
                    self.opened += 1;
                }
            }
        }
    }

    fn within(a: f64, b: f64, scale: f64) -> bool {
        (a - b).abs() <= 1e-9 * scale.max(1e-300)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn fifo_accounting_holds(
            fills in arb_fills(),
            lot_size in prop::sample::select(vec![1.0, 0.01, 1e-8]),
        ) {
            let mut t = FifoTracker::new(lot_size).unwrap();
            let mut reference: FxHashMap<u32, Reference> = FxHashMap::default();
            let mut closed = 0;
            for f in &fills {
                closed += t.add_fill(f).unwrap();
                reference.entry(f.symbol).or_default().add(f, lot_size);
            }
            prop_assert_eq!(closed, t.round_trips().len());

            // The batch entry point gives the very same state.
            let mut batch = FifoTracker::new(lot_size).unwrap();
            prop_assert_eq!(batch.add_fills(&fills), Ok(closed));
            prop_assert!(batch == t);

            for symbol in SYMBOLS {
                let r = reference.entry(symbol).or_default();
                let rts: Vec<&RoundTrip> =
                    t.round_trips().iter().filter(|rt| rt.symbol == symbol).collect();
                let lots = t.open_lots(symbol);

                // Quantity: opened = closed in round trips + still open.
                let rt_qty: Qty = rts.iter().map(|rt| rt.quantity).sum();
                let lot_qty: Qty = lots.iter().map(|l| l.qty).sum();
                prop_assert_eq!(rt_qty, r.closed);
                prop_assert_eq!(rt_qty + lot_qty, r.opened);

                // Position: open lots net = signed sum of fills.
                let net: i64 = lots.iter().map(|l| l.side.sign() * l.qty as i64).sum();
                prop_assert_eq!(net, r.position);
                prop_assert_eq!(t.position(symbol), r.position);
                prop_assert!(lots.iter().all(|l| l.qty > 0 && l.side == lots[0].side));

                // P&L: realized = Σ (exit − entry) × units × direction − fees.
                let mut expected = 0.0;
                let mut gross = 0.0;
                let mut scale = 0.0;
                let mut fees = 0.0;
                for rt in &rts {
                    let units = rt.quantity as f64 * lot_size;
                    let g = (rt.exit_price - rt.entry_price) * units * rt.direction.sign() as f64;
                    gross += g;
                    expected += g - rt.entry_fee - rt.exit_fee;
                    fees += rt.entry_fee + rt.exit_fee;
                    scale += g.abs() + rt.entry_fee + rt.exit_fee;
                    prop_assert!(rt.quantity > 0 && rt.exit_time >= rt.entry_time);
                    prop_assert!(rt.entry_fee >= 0.0 && rt.exit_fee >= 0.0);
                    prop_assert!(within(rt.ret, rt.pnl / (rt.entry_price * units), rt.ret.abs()));
                }
                prop_assert!(within(t.realized_pnl(symbol), expected, scale),
                    "realized {} expected {}", t.realized_pnl(symbol), expected);
                // FIFO: the gross matches the lot-by-lot reference.
                prop_assert!(within(gross, r.gross, scale), "gross {} reference {}", gross, r.gross);
                // Fees: every fill's fee is in a round trip or an open lot.
                let open_fees: f64 = lots.iter().map(|l| l.entry_fee).sum();
                prop_assert!(within(fees + open_fees, r.fees, r.fees + 1.0));
                prop_assert!(within(t.symbol_fees_paid(symbol), r.fees, r.fees + 1.0));
            }
        }
    }
}
