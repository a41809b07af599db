//! LOBSTER replay: rebuild the book from a message file and check it against every row of the
//! matching orderbook file.
//!
//! The contract (see also `shared/data/SOURCES.md` for what the files hold):
//! - Row *i* of the orderbook file is the book after message *i*. The book is seeded from row 0,
//!   one anonymous order per level; messages 1.. are then applied in order and row *i* checked
//!   after message *i*.
//! - Type 1 adds an order; types 2 (partial cancel) and 4 (visible execution) reduce it; type 3
//!   deletes it; types 5 (hidden execution), 6 (cross) and 7 (halt) leave the visible book as is.
//!   A message naming an order the replay has never seen (placed before the file starts, or while
//!   its level was beyond the window) reduces the anonymous liquidity at its price.
//! - The book is kept to the file's `levels` per side: a level pushed beyond the window is dropped,
//!   because events there are not in the message file and it would go stale. A level the file
//!   shows below the replay's deepest level enters from beyond the window: it is taken from the
//!   file and counted in `levels_revealed`. Every other level must match price and size exactly;
//!   a row that does not is a mismatch, and that side is re-seeded from the file so one mismatch
//!   is reported once rather than cascading.

use thiserror::Error;

use crate::book::{LevelView, OrderBook, RestingOrder};
use crate::types::{OrderId, Price, Qty, Side, TimestampNs};

/// Padding LOBSTER writes for an empty ask level (bids use the negative).
pub const EMPTY_ASK_PRICE: i64 = 9_999_999_999;
const ANON_BIT: u64 = 1 << 63;
const ANON_SELL_BIT: u64 = 1 << 62;

/// A problem with the input files.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum LobsterError {
    #[error("message file line {line}: {reason}")]
    BadMessage { line: usize, reason: String },
    #[error("orderbook file line {line}: {reason}")]
    BadOrderbook { line: usize, reason: String },
    #[error("the message file has {messages} rows but the orderbook file has {rows}")]
    RowCountMismatch { messages: usize, rows: usize },
    #[error("the files are empty")]
    Empty,
    #[error("levels must be between 1 and 200, got {0}")]
    BadLevels(usize),
}

/// One message-file row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message {
    /// Nanoseconds after midnight, exchange local time.
    pub time_ns: TimestampNs,
    pub kind: u8,
    pub order_id: u64,
    pub size: Qty,
    pub price: Price,
    pub side: Side,
}

/// One orderbook-file row: per level (ask price, ask size, bid price, bid size).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookRow {
    pub asks: Vec<(Price, Qty)>,
    pub bids: Vec<(Price, Qty)>,
}

/// The first row that did not match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// 0-based row index (= message index).
    pub row: usize,
    pub expected: BookRow,
    pub got: BookRow,
}

/// Replay outcome.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReplayStats {
    pub messages: usize,
    pub levels: usize,
    pub rows_checked: usize,
    pub rows_matched: usize,
    pub levels_revealed: usize,
    pub mismatches: usize,
    pub first_mismatch: Option<Mismatch>,
    /// Type 2/3/4 messages naming an order the replay had not seen.
    pub unknown_order_events: usize,
    /// Messages that could not be applied as written (e.g. reducing more than rests).
    pub anomalies: usize,
}

/// Parses a LOBSTER message file.
pub fn parse_messages(text: &[u8]) -> Result<Vec<Message>, LobsterError> {
    let mut out = Vec::with_capacity(text.len() / 40);
    for (i, line) in lines(text) {
        let bad = |reason: &str| LobsterError::BadMessage {
            line: i + 1,
            reason: reason.to_string(),
        };
        let mut fields = line.split(|&b| b == b',');
        let mut next = |name: &str| fields.next().ok_or_else(|| bad(&format!("missing {name}")));
        let time_ns = parse_seconds(next("time")?).ok_or_else(|| bad("bad time"))?;
        let kind = parse_int(next("type")?).ok_or_else(|| bad("bad type"))?;
        let order_id = parse_int(next("order id")?).ok_or_else(|| bad("bad order id"))?;
        let size = parse_int(next("size")?).ok_or_else(|| bad("bad size"))?;
        let price = parse_int(next("price")?).ok_or_else(|| bad("bad price"))?;
        let direction = parse_int(next("direction")?).ok_or_else(|| bad("bad direction"))?;
        if !(1..=7).contains(&kind) {
            return Err(bad(&format!("unknown event type {kind}")));
        }
        if order_id < 0 || size < 0 {
            return Err(bad("negative order id or size"));
        }
        let side = match direction {
            1 => Side::Buy,
            -1 => Side::Sell,
            d => return Err(bad(&format!("direction must be 1 or -1, got {d}"))),
        };
        out.push(Message {
            time_ns,
            kind: kind as u8,
            order_id: order_id as u64,
            size: size as Qty,
            price,
            side,
        });
    }
    Ok(out)
}

/// A parsed orderbook file, stored flat (one allocation per side, not per row): row *i*'s
/// occupied levels are `asks(i)` and `bids(i)`, best first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Orderbook {
    pub levels: usize,
    asks: Vec<(Price, Qty)>,
    bids: Vec<(Price, Qty)>,
    ask_counts: Vec<u16>,
    bid_counts: Vec<u16>,
}

impl Orderbook {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.ask_counts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ask_counts.is_empty()
    }

    /// Occupied ask levels of row `i`, best first.
    pub fn asks(&self, i: usize) -> &[(Price, Qty)] {
        let start = i * self.levels;
        &self.asks[start..start + self.ask_counts[i] as usize]
    }

    /// Occupied bid levels of row `i`, best first.
    pub fn bids(&self, i: usize) -> &[(Price, Qty)] {
        let start = i * self.levels;
        &self.bids[start..start + self.bid_counts[i] as usize]
    }

    /// Row `i` as an owned value (for reports).
    pub fn row(&self, i: usize) -> BookRow {
        BookRow {
            asks: self.asks(i).to_vec(),
            bids: self.bids(i).to_vec(),
        }
    }
}

/// Parses a LOBSTER orderbook file with `levels` levels per row.
pub fn parse_orderbook(text: &[u8], levels: usize) -> Result<Orderbook, LobsterError> {
    parse_orderbook_lines(text, levels, 0)
}

/// Parses both files on two threads (the orderbook file, the larger, in two halves), giving
/// exactly what [`parse_messages`] and [`parse_orderbook`] give, errors included.
pub fn parse_files(
    messages: &[u8],
    orderbook: &[u8],
    levels: usize,
) -> Result<(Vec<Message>, Orderbook), LobsterError> {
    let mid = orderbook.len() / 2;
    let split = orderbook[mid..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(orderbook.len(), |p| mid + p + 1);
    let (head, tail) = orderbook.split_at(split);
    let lines_before_tail = head.iter().filter(|&&b| b == b'\n').count();
    let (msgs, first, second) = std::thread::scope(|scope| {
        let tail_job = scope.spawn(|| parse_orderbook_lines(tail, levels, lines_before_tail));
        let msgs = parse_messages(messages);
        let first = parse_orderbook_lines(head, levels, 0);
        let second = tail_job
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (msgs, first, second)
    });
    let msgs = msgs?;
    let mut book = first?;
    book.append(second?);
    Ok((msgs, book))
}

impl Orderbook {
    fn append(&mut self, mut other: Orderbook) {
        self.asks.append(&mut other.asks);
        self.bids.append(&mut other.bids);
        self.ask_counts.append(&mut other.ask_counts);
        self.bid_counts.append(&mut other.bid_counts);
    }
}

/// [`parse_orderbook`] of a part of a file whose first line is line `first_line + 1`.
fn parse_orderbook_lines(
    text: &[u8],
    levels: usize,
    first_line: usize,
) -> Result<Orderbook, LobsterError> {
    let rows_hint = text.len() / (levels * 28).max(1);
    let mut book = Orderbook {
        levels,
        asks: Vec::with_capacity(rows_hint * levels),
        bids: Vec::with_capacity(rows_hint * levels),
        ask_counts: Vec::with_capacity(rows_hint),
        bid_counts: Vec::with_capacity(rows_hint),
    };
    let mut scratch = vec![0i64; levels * 4 + 1];
    for (i, line) in lines(text) {
        let bad = |reason: String| LobsterError::BadOrderbook {
            line: first_line + i + 1,
            reason,
        };
        let (mut n_ask, mut n_bid) = (0u16, 0u16);
        let count = parse_int_row(line, &mut scratch)
            .ok_or_else(|| bad("a field is not an integer".to_string()))?;
        if count != levels * 4 {
            return Err(bad(format!(
                "expected {} columns, found {count}",
                levels * 4
            )));
        }
        for vals in scratch[..count].chunks_exact(4) {
            let [ap, asz, bp, bsz] = [vals[0], vals[1], vals[2], vals[3]];
            if asz < 0 || bsz < 0 {
                return Err(bad("negative size".to_string()));
            }
            if ap != EMPTY_ASK_PRICE && asz > 0 {
                book.asks.push((ap, asz as Qty));
                n_ask += 1;
            }
            if bp != -EMPTY_ASK_PRICE && bsz > 0 {
                book.bids.push((bp, bsz as Qty));
                n_bid += 1;
            }
        }
        // Pad to a fixed stride so that row i starts at i * levels.
        let stride_end = (book.ask_counts.len() + 1) * levels;
        book.asks.resize(stride_end, (0, 0));
        book.bids.resize(stride_end, (0, 0));
        book.ask_counts.push(n_ask);
        book.bid_counts.push(n_bid);
    }
    Ok(book)
}

/// Parses both files and replays them.
pub fn replay_files(
    messages: &[u8],
    orderbook: &[u8],
    levels: usize,
) -> Result<ReplayStats, LobsterError> {
    if levels == 0 || levels > 200 {
        return Err(LobsterError::BadLevels(levels));
    }
    let (msgs, rows) = parse_files(messages, orderbook, levels)?;
    replay(&msgs, &rows, levels)
}

/// Replays parsed messages against parsed rows; see the module docs.
pub fn replay(
    messages: &[Message],
    rows: &Orderbook,
    levels: usize,
) -> Result<ReplayStats, LobsterError> {
    if messages.len() != rows.len() {
        return Err(LobsterError::RowCountMismatch {
            messages: messages.len(),
            rows: rows.len(),
        });
    }
    if rows.is_empty() {
        return Err(LobsterError::Empty);
    }
    let mut replay = Replay {
        book: OrderBook::with_capacity(4096),
        levels,
        stats: ReplayStats {
            messages: messages.len(),
            levels,
            ..ReplayStats::default()
        },
        scratch: Vec::with_capacity(levels + 1),
    };
    if rows.levels != levels {
        return Err(LobsterError::BadLevels(rows.levels));
    }
    replay.seed_side(Side::Sell, rows.asks(0));
    replay.seed_side(Side::Buy, rows.bids(0));
    for (i, msg) in messages.iter().enumerate().skip(1) {
        replay.apply(msg);
        replay.check(i, rows);
    }
    Ok(replay.stats)
}

struct Replay {
    book: OrderBook,
    levels: usize,
    stats: ReplayStats,
    scratch: Vec<LevelView>,
}

impl Replay {
    fn anon_id(side: Side, price: Price) -> OrderId {
        let side_bit = if side == Side::Sell { ANON_SELL_BIT } else { 0 };
        OrderId(ANON_BIT | side_bit | (price as u64 & (ANON_SELL_BIT - 1)))
    }

    fn add_anon(&mut self, side: Side, price: Price, qty: Qty) {
        let id = Self::anon_id(side, price);
        let added = match self.book.order(id) {
            Some(o) => self.book.modify(id, price, o.qty + qty, 0),
            None => self.book.add(RestingOrder {
                id,
                side,
                price,
                qty,
                ts: 0,
                tag: 0,
            }),
        };
        if added.is_err() {
            self.stats.anomalies += 1;
        }
    }

    fn seed_side(&mut self, side: Side, levels: &[(Price, Qty)]) {
        for &(price, qty) in levels {
            self.add_anon(side, price, qty);
        }
    }

    fn apply(&mut self, m: &Message) {
        let id = OrderId(m.order_id);
        match m.kind {
            1 => {
                let order = RestingOrder {
                    id,
                    side: m.side,
                    price: m.price,
                    qty: m.size,
                    ts: m.time_ns,
                    tag: 0,
                };
                if self.book.add(order).is_err() {
                    self.stats.anomalies += 1;
                }
            }
            2..=4 => {
                // One index probe, and only the fields checked (not the whole order).
                let known = self.book.slot_of(id).filter(|&slot| {
                    let (side, price, _) = self.book.placement_at(slot);
                    side == m.side && price == m.price
                });
                match known {
                    Some(slot) => {
                        let (_, _, qty) = self.book.placement_at(slot);
                        let by = if m.kind == 3 { qty } else { m.size };
                        if by > qty || (m.kind == 3 && m.size != qty) {
                            self.stats.anomalies += 1;
                        }
                        if by > 0 {
                            self.book.reduce_at(slot, by);
                        }
                    }
                    None => {
                        self.stats.unknown_order_events += 1;
                        self.reduce_anon(m.side, m.price, m.size);
                    }
                }
            }
            _ => {}
        }
    }

    /// Removes `size` of liquidity from an order the replay never saw at this price.
    fn reduce_anon(&mut self, side: Side, price: Price, size: Qty) {
        if size == 0 {
            return;
        }
        let id = Self::anon_id(side, price);
        match self.book.slot_of(id) {
            Some(slot) => {
                let (_, _, qty) = self.book.placement_at(slot);
                if size > qty {
                    self.stats.anomalies += 1;
                }
                self.book.reduce_at(slot, size.min(qty));
            }
            // The price is beyond the kept window: the file will reveal it if it matters.
            None => {
                if self.book.best_price(side).is_some_and(|best| match side {
                    Side::Buy => price >= best,
                    Side::Sell => price <= best,
                }) {
                    self.stats.anomalies += 1;
                }
            }
        }
    }

    fn truncate(&mut self, side: Side) {
        while self.book.level_count(side) > self.levels {
            let Some(price) = self.book.worst_price(side) else {
                break;
            };
            self.book.remove_level(side, price);
        }
    }

    fn check(&mut self, row_index: usize, rows: &Orderbook) {
        self.stats.rows_checked += 1;
        self.truncate(Side::Sell);
        self.truncate(Side::Buy);
        let asks_ok = self.check_side(Side::Sell, rows.asks(row_index));
        let bids_ok = self.check_side(Side::Buy, rows.bids(row_index));
        if asks_ok && bids_ok {
            self.stats.rows_matched += 1;
            return;
        }
        self.stats.mismatches += 1;
        if self.stats.first_mismatch.is_none() {
            self.stats.first_mismatch = Some(Mismatch {
                row: row_index,
                expected: rows.row(row_index),
                got: BookRow {
                    asks: self.snapshot(Side::Sell),
                    bids: self.snapshot(Side::Buy),
                },
            });
        }
        for (side, ok, want) in [
            (Side::Sell, asks_ok, rows.asks(row_index)),
            (Side::Buy, bids_ok, rows.bids(row_index)),
        ] {
            if !ok {
                for level in self.book.depth(side, usize::MAX) {
                    self.book.remove_level(side, level.price);
                }
                self.seed_side(side, want);
            }
        }
    }

    fn snapshot(&self, side: Side) -> Vec<(Price, Qty)> {
        self.book
            .depth(side, self.levels)
            .iter()
            .map(|l| (l.price, l.qty))
            .collect()
    }

    /// Compares one side; reveals levels entering from beyond the window. False on a mismatch.
    fn check_side(&mut self, side: Side, want: &[(Price, Qty)]) -> bool {
        self.scratch.clear();
        self.book.depth_into(side, self.levels, &mut self.scratch);
        let have = self.scratch.len();
        if have > want.len() {
            return false;
        }
        for (got, &(price, qty)) in self.scratch.iter().zip(want) {
            if got.price != price || got.qty != qty {
                return false;
            }
        }
        if have == want.len() {
            return true;
        }
        let deepest = self.scratch.last().map(|l| l.price);
        for &(price, _) in &want[have..] {
            let beyond = deepest.is_none_or(|d| match side {
                Side::Buy => price < d,
                Side::Sell => price > d,
            });
            if !beyond {
                return false;
            }
        }
        for &(price, qty) in &want[have..] {
            self.add_anon(side, price, qty);
            self.stats.levels_revealed += 1;
        }
        true
    }
}

fn lines(text: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    text.split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .enumerate()
        .filter(|(_, l)| !l.is_empty())
}

/// Parses a line of comma-separated integers into `out` in one pass; returns how many, or
/// None for a malformed field or more fields than `out` holds. Fields of up to 18 digits
/// cannot overflow.
fn parse_int_row(line: &[u8], out: &mut [i64]) -> Option<usize> {
    let mut n = 0;
    let mut value: i64 = 0;
    let mut digits = 0u32;
    let mut negative = false;
    for &b in line {
        match b {
            b'0'..=b'9' => {
                value = value * 10 + (b - b'0') as i64;
                digits += 1;
                if digits > 18 {
                    return None;
                }
            }
            b'-' if digits == 0 && !negative => negative = true,
            b',' => {
                if digits == 0 {
                    return None;
                }
                *out.get_mut(n)? = if negative { -value } else { value };
                n += 1;
                (value, digits, negative) = (0, 0, false);
            }
            _ => return None,
        }
    }
    if digits == 0 {
        return None;
    }
    *out.get_mut(n)? = if negative { -value } else { value };
    Some(n + 1)
}

fn parse_int(field: &[u8]) -> Option<i64> {
    let (neg, digits) = match field.first()? {
        b'-' => (true, &field[1..]),
        _ => (false, field),
    };
    if digits.is_empty() {
        return None;
    }
    let mut v: i64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((b - b'0') as i64)?;
    }
    Some(if neg { -v } else { v })
}

/// Parses "34200.017459617" (seconds) into integer nanoseconds, exactly for up to 9 decimals.
/// Longer fractions (float artefacts such as "43002.632812672004" occur in real files) are
/// rounded half up to the nanosecond.
fn parse_seconds(field: &[u8]) -> Option<i64> {
    let (whole, frac) = match field.iter().position(|&b| b == b'.') {
        Some(dot) => (&field[..dot], &field[dot + 1..]),
        None => (field, &field[..0]),
    };
    if whole.first() == Some(&b'-') || !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let secs = parse_int(whole)?;
    let mut nanos: i64 = 0;
    for i in 0..9 {
        nanos = nanos * 10 + frac.get(i).map_or(0, |b| (b - b'0') as i64);
    }
    if frac.get(9).is_some_and(|&b| b >= b'5') {
        nanos += 1;
    }
    secs.checked_mul(1_000_000_000)?.checked_add(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_parse_exactly_to_nanoseconds() {
        assert_eq!(parse_seconds(b"34200.017459617"), Some(34_200_017_459_617));
        assert_eq!(parse_seconds(b"34200.1896"), Some(34_200_189_600_000));
        assert_eq!(parse_seconds(b"5"), Some(5_000_000_000));
        assert_eq!(
            parse_seconds(b"43002.632812672004"),
            Some(43_002_632_812_672)
        );
        assert_eq!(parse_seconds(b"1.0000000005"), Some(1_000_000_001));
        assert_eq!(parse_seconds(b"1.x"), None);
        assert_eq!(parse_int(b"-9999999999"), Some(-9_999_999_999));
        assert_eq!(parse_int(b"12a"), None);
    }

    const ROW0: &str = "101,10,99,5,102,3,98,7\n";

    #[test]
    fn add_cancel_execute_and_reveal_match_the_file() {
        let messages = "1.0,5,0,1,100,-1\n\
                        1.1,1,7,4,100,1\n\
                        1.2,4,7,1,100,1\n\
                        1.3,3,0,10,101,-1\n";
        let book = format!(
            "{ROW0}101,10,100,4,102,3,99,5\n101,10,100,3,102,3,99,5\n102,3,100,3,103,8,99,5\n"
        );
        let stats = replay_files(messages.as_bytes(), book.as_bytes(), 2).unwrap();
        assert_eq!(stats.rows_checked, 3);
        assert_eq!(stats.mismatches, 0, "{:?}", stats.first_mismatch);
        assert_eq!(stats.levels_revealed, 1);
        assert_eq!(stats.unknown_order_events, 1);
    }

    #[test]
    fn a_wrong_row_is_reported_once_with_its_contents() {
        let messages = "1.0,5,0,1,100,-1\n1.1,1,7,4,100,1\n1.2,5,0,1,100,1\n";
        let book = format!("{ROW0}101,10,100,4,102,3,99,5\n101,10,100,9,102,3,99,5\n");
        let stats = replay_files(messages.as_bytes(), book.as_bytes(), 2).unwrap();
        assert_eq!(stats.mismatches, 1);
        let m = stats.first_mismatch.unwrap();
        assert_eq!(m.row, 2);
        assert_eq!(m.expected.bids[0], (100, 9));
        assert_eq!(m.got.bids[0], (100, 4));
    }

    #[test]
    fn parallel_parse_equals_serial_parse_and_numbers_lines_across_the_split() {
        let book: String = (0..101)
            .map(|i| format!("{},1,{},2\n", 200 + i, 100 - i % 50))
            .collect();
        let msgs = "1.0,1,1,1,100,1\n";
        let (_, rows) = parse_files(msgs.as_bytes(), book.as_bytes(), 1).unwrap();
        assert_eq!(rows, parse_orderbook(book.as_bytes(), 1).unwrap());
        let mut broken: Vec<&str> = book.lines().collect();
        broken[90] = "1,2,x,4";
        let text = broken.join("\n");
        let err = parse_files(msgs.as_bytes(), text.as_bytes(), 1).unwrap_err();
        assert_eq!(err, parse_orderbook(text.as_bytes(), 1).unwrap_err());
        assert!(
            matches!(err, LobsterError::BadOrderbook { line: 91, .. }),
            "{err}"
        );
    }

    #[test]
    fn malformed_input_names_the_line() {
        let err = parse_messages(b"1.0,1,1,1,100,1\n1.0,9,1,1,100,1\n").unwrap_err();
        assert!(
            matches!(err, LobsterError::BadMessage { line: 2, .. }),
            "{err}"
        );
        let err = parse_orderbook(b"1,2,3\n", 1).unwrap_err();
        assert!(matches!(err, LobsterError::BadOrderbook { line: 1, .. }));
        let err = replay_files(b"1.0,1,1,1,100,1\n", b"", 1).unwrap_err();
        assert_eq!(
            err,
            LobsterError::RowCountMismatch {
                messages: 1,
                rows: 0
            }
        );
    }
}
