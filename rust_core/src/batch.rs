//! Compact batch encoding of matching-engine commands, shared by the Python batch API, the
//! native benchmark and replay tools.
//!
//! A command is one row of [`COLUMNS`] signed 64-bit integers:
//! `[op, id, side, order_type, tif, price, stop_price, qty, ts]` with `op` 0 submit, 1 cancel,
//! 2 modify, 3 session end; `side`, `order_type` and `tif` use the codes of [`crate::types`];
//! prices are ticks and quantities lots; a price of 0 means "none". Each row is applied on its
//! own: a row that fails changes nothing and is reported with its index and an error code.

use crate::matching::{Command, MatchError, MatchingEngine, OrderRequest, Sink};
use crate::types::{OrderId, OrderType, Side, TimeInForce};

/// Integers per command row.
pub const COLUMNS: usize = 9;

pub const OP_SUBMIT: i64 = 0;
pub const OP_CANCEL: i64 = 1;
pub const OP_MODIFY: i64 = 2;
pub const OP_SESSION_END: i64 = 3;

/// Error codes reported per failed row.
pub const ERR_MALFORMED: i64 = 1;
pub const ERR_DUPLICATE_ID: i64 = 2;
pub const ERR_UNKNOWN_ID: i64 = 3;
pub const ERR_INVALID_QUANTITY: i64 = 4;
pub const ERR_INVALID_PRICE: i64 = 5;
pub const ERR_MISSING_PRICE: i64 = 6;
pub const ERR_OVERFLOW: i64 = 7;

/// The error code of a refused command.
pub fn error_code(e: &MatchError) -> i64 {
    match e {
        MatchError::DuplicateOrderId(_) => ERR_DUPLICATE_ID,
        MatchError::UnknownOrderId(_) => ERR_UNKNOWN_ID,
        MatchError::InvalidQuantity(_) => ERR_INVALID_QUANTITY,
        MatchError::InvalidPrice(_) => ERR_INVALID_PRICE,
        MatchError::MissingLimitPrice(_) | MatchError::MissingStopPrice(_) => ERR_MISSING_PRICE,
        MatchError::Overflow(_) => ERR_OVERFLOW,
    }
}

/// Decodes one row; `None` when a code is out of range or a value negative where it cannot be.
pub fn decode(row: &[i64]) -> Option<Command> {
    let [op, id, side, order_type, tif, price, stop, qty, ts] = *row else {
        return None;
    };
    if id < 0 || qty < 0 {
        return None;
    }
    let opt = |p: i64| (p != 0).then_some(p);
    Some(match op {
        OP_SUBMIT => Command::Submit(OrderRequest {
            id: OrderId(id as u64),
            side: Side::from_code(side)?,
            order_type: OrderType::from_code(order_type)?,
            tif: TimeInForce::from_code(tif)?,
            qty: qty as u64,
            price: opt(price),
            stop_price: opt(stop),
            ts,
        }),
        OP_CANCEL => Command::Cancel {
            id: OrderId(id as u64),
            ts,
        },
        OP_MODIFY => Command::Modify {
            id: OrderId(id as u64),
            qty: qty as u64,
            price: opt(price),
            ts,
        },
        OP_SESSION_END => Command::SessionEnd { ts },
        _ => return None,
    })
}

/// Encodes a command as one row.
pub fn encode(cmd: &Command) -> [i64; COLUMNS] {
    match *cmd {
        Command::Submit(r) => [
            OP_SUBMIT,
            r.id.0 as i64,
            r.side as i64,
            r.order_type as i64,
            r.tif as i64,
            r.price.unwrap_or(0),
            r.stop_price.unwrap_or(0),
            r.qty as i64,
            r.ts,
        ],
        Command::Cancel { id, ts } => [OP_CANCEL, id.0 as i64, 0, 0, 0, 0, 0, 0, ts],
        Command::Modify { id, qty, price, ts } => [
            OP_MODIFY,
            id.0 as i64,
            0,
            0,
            0,
            price.unwrap_or(0),
            0,
            qty as i64,
            ts,
        ],
        Command::SessionEnd { ts } => [OP_SESSION_END, 0, 0, 0, 0, 0, 0, 0, ts],
    }
}

/// Applies every row of a flat row-major buffer; returns (row index, error code) per failure.
/// Trades and events go to the engine's buffers.
pub fn apply_rows(engine: &mut MatchingEngine, rows: &[i64]) -> Vec<(i64, i64)> {
    let mut records = engine.take_records();
    let errors = apply_rows_to(engine, rows, &mut records);
    engine.put_records(records);
    errors
}

/// [`apply_rows`] writing trades and events to `out` (see [`Sink`]).
pub fn apply_rows_to<S: Sink>(
    engine: &mut MatchingEngine,
    rows: &[i64],
    out: &mut S,
) -> Vec<(i64, i64)> {
    let mut errors = Vec::new();
    for (i, row) in rows.chunks_exact(COLUMNS).enumerate() {
        if let Err(code) = apply_row(engine, row, out) {
            errors.push((i as i64, code));
        }
    }
    errors
}

/// Decodes and applies one row, dispatching on the op code once: the same checks and the same
/// outcome as [`decode`] then [`MatchingEngine::apply_to`], without building a [`Command`] only
/// to take it apart again (this loop runs once per command of every batch).
#[inline(always)]
fn apply_row<S: Sink>(engine: &mut MatchingEngine, row: &[i64], out: &mut S) -> Result<(), i64> {
    let &[op, id, side, order_type, tif, price, stop, qty, ts] = row else {
        return Err(ERR_MALFORMED);
    };
    if id < 0 || qty < 0 {
        return Err(ERR_MALFORMED);
    }
    let (id, qty) = (OrderId(id as u64), qty as u64);
    let opt = |p: i64| (p != 0).then_some(p);
    let applied = match op {
        OP_SUBMIT => {
            // Most orders: a GTC or DAY limit with a positive price that rests without
            // trading, taken straight from the row (the general path below finds it the same).
            if order_type == OrderType::Limit as i64 && qty > 0 && price > 0 {
                let tif = match tif {
                    0 => Some(TimeInForce::Gtc),
                    3 => Some(TimeInForce::Day),
                    _ => None,
                };
                if let (Some(side), Some(tif)) = (Side::from_code(side), tif) {
                    if let Some(done) =
                        engine.rest_if_passive_to(id, side, price, qty, tif, ts, out)
                    {
                        return done.map_err(|e| error_code(&e));
                    }
                }
            }
            let (Some(side), Some(order_type), Some(tif)) = (
                Side::from_code(side),
                OrderType::from_code(order_type),
                TimeInForce::from_code(tif),
            ) else {
                return Err(ERR_MALFORMED);
            };
            let req = OrderRequest {
                id,
                side,
                order_type,
                tif,
                qty,
                price: opt(price),
                stop_price: opt(stop),
                ts,
            };
            engine.submit_to(req, out)
        }
        OP_CANCEL => engine.cancel_to(id, ts, out),
        OP_MODIFY => engine.modify_to(id, qty, opt(price), ts, out),
        OP_SESSION_END => {
            engine.session_end_to(ts, out);
            Ok(())
        }
        _ => return Err(ERR_MALFORMED),
    };
    applied.map_err(|e| error_code(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apply_rows_agrees_with_decode_then_apply() {
        let mut rows = crate::stream::generate(20_000, 3, 500);
        // Rows that every check refuses, and commands that fail in the engine.
        for bad in [
            [9, 1, 0, 0, 0, 0, 0, 1, 0],
            [0, -1, 0, 0, 0, 100, 0, 1, 0],
            [0, 5, 2, 0, 0, 100, 0, 1, 0],
            [0, 5, 0, 4, 0, 100, 0, 1, 0],
            [0, 5, 0, 0, 4, 100, 0, 1, 0],
            [0, 5, 0, 0, 0, 100, 0, -1, 0],
            [0, 5, 0, 0, 0, 0, 0, 1, 0],
            [0, 5, 0, 0, 0, 100, 0, 0, 0],
            [0, 1_000_000, 0, 2, 0, 0, 0, 1, 0],
            [2, 7, 0, 0, 0, -4, 0, 3, 0],
            [1, 999_999, 0, 0, 0, 0, 0, 0, 0],
            [3, 0, 0, 0, 0, 0, 0, 0, 0],
            // The passive fast path: a pending stop's id again, as a resting DAY limit
            // (refused), then a DAY limit that crosses (the general path).
            [0, 2_000_000, 0, 2, 0, 0, 1_000_000_000, 1, 0],
            [0, 2_000_000, 1, 0, 3, 1_000_000_000, 0, 1, 0],
            [0, 2_000_001, 0, 0, 3, 1_000_000_000, 0, 1, 0],
        ] {
            rows.extend(bad);
        }
        let mut fast = MatchingEngine::new();
        let errors = apply_rows(&mut fast, &rows);
        let mut slow = MatchingEngine::new();
        let mut want = Vec::new();
        for (i, row) in rows.chunks_exact(COLUMNS).enumerate() {
            let outcome = match decode(row) {
                Some(cmd) => slow.apply(&cmd).map_err(|e| error_code(&e)),
                None => Err(ERR_MALFORMED),
            };
            if let Err(code) = outcome {
                want.push((i as i64, code));
            }
        }
        assert_eq!(errors, want);
        assert!(errors.len() >= 10);
        assert_eq!(fast.trades, slow.trades);
        assert_eq!(fast.events, slow.events);
        assert_eq!(fast.book().orders(), slow.book().orders());
    }

    #[test]
    fn rows_round_trip_and_bad_rows_are_reported_not_applied() {
        let cmd = Command::Submit(OrderRequest::limit(7, Side::Sell, 101, 3, 5));
        assert_eq!(decode(&encode(&cmd)), Some(cmd));
        let mut engine = MatchingEngine::new();
        let mut rows = Vec::new();
        rows.extend(encode(&cmd));
        rows.extend([9, 1, 0, 0, 0, 0, 0, 0, 0]);
        rows.extend(encode(&Command::Cancel {
            id: OrderId(8),
            ts: 0,
        }));
        rows.extend(encode(&cmd));
        let errors = apply_rows(&mut engine, &rows);
        assert_eq!(
            errors,
            vec![
                (1, ERR_MALFORMED),
                (2, ERR_UNKNOWN_ID),
                (3, ERR_DUPLICATE_ID)
            ]
        );
        assert_eq!(engine.book().len(), 1);
    }
}
