//! A deterministic bar matching engine for bar backtests: orders in, fills and order events out,
//! against OHLCV bars instead of an order book.
//!
//! Invariants: the same configuration, orders and bars give the same events, bit for bit, on any
//! host (orders are worked in submission order; no hash-map order reaches the output). Quantity
//! is conserved: for every order, submitted = filled + cancelled + expired + still open. Before
//! slippage every fill price lies within the bar's `[low, high]`.
//!
//! Prices are decimal `f64` (fills at the VWAP or with slippage are off the tick grid);
//! quantities are integer lots ([`Qty`]).
//!
//! # Fill rules (the contract)
//!
//! **When.** An order works on every bar processed *after* it was submitted: a strategy sees a
//! bar, submits, and the order first meets the *next* bar. The `ts` given to
//! [`BarMatchingEngine::submit`] only stamps the ACCEPTED event; it does not gate matching.
//!
//! **Base price** of a bar, from [`BarMatchingConfig::fill_at`]: `Open` → open, `Close` → close,
//! `Vwap` → the bar's `vwap` when given and within `[low, high]`, else the typical price
//! `(high + low + close) / 3` (vendor VWAPs can include trades outside the reported range).
//!
//! **Price by order type** (before slippage; `base` as above):
//! - **Market**: fills at `base`.
//! - **Limit** buy: fills only if `low <= limit`, at `min(base, limit)`. Limit sell: only if
//!   `high >= limit`, at `max(base, limit)`.
//! - **Stop** buy: triggers when `high >= stop` and on that bar fills at `max(base, stop)`, never
//!   better than the stop (conservative). Stop sell: triggers when `low <= stop`, fills at
//!   `min(base, stop)`. Once triggered it stays triggered: on later bars it is a market order.
//! - **Stop-limit**: triggers as a stop, then works as a limit. On the trigger bar a buy fills at
//!   `min(max(base, stop), limit)` and only if `low <= limit`; a sell at
//!   `max(min(base, stop), limit)` and only if `high >= limit`. On later bars it is a plain limit.
//!
//! A stop or stop-limit that triggers emits TRIGGERED (the order stays working; `qty` 0).
//!
//! **Slippage** works against the order: buys pay `price × (1 + bps / 10⁴)`, sells receive
//! `price × (1 − bps / 10⁴)`. For limit and stop-limit orders the slipped price is clamped to the
//! limit: a limit is a guarantee.
//!
//! **Volume cap**: with `max_volume_pct = Some(p)` a bar can fill at most
//! `floor(p × volume)` lots (a product within 10⁻⁹ relative of an integer counts as that integer,
//! so `0.29 × 100` is 29), shared by all orders filling on that bar in submission order (FIFO).
//! A bar with volume 0 fills nothing while a cap is set: disable the cap (`None`) for data without
//! volume, such as indices.
//!
//! **Time in force.**
//! - **GTC** carries any remainder to the next bar.
//! - **DAY** carries it until [`BarMatchingEngine::session_end`], which expires every DAY order
//!   (EXPIRED events, in submission order).
//! - **IOC** fills what it can on its first bar and cancels the rest (CANCELED).
//! - **FOK** fills completely on its first bar or is cancelled entirely (CANCELED, nothing
//!   filled); a FOK that the volume cap would cut short is cancelled and consumes no volume.
//! - An IOC or FOK stop / stop-limit that does not trigger on its first bar is cancelled.
//!
//! **Validation** returns [`BarMatchingError`] and changes nothing (no event, no state):
//! quantity > 0; a finite limit price > 0 for LIMIT and STOP_LIMIT; a finite stop price > 0 for
//! STOP and STOP_LIMIT (a limit or stop price given where the type does not use it is ignored and
//! not checked, as in [`crate::matching`]); ids unique among open orders (a finished order's id
//! may be used again). Bars: open, high, low, close (and vwap when given) finite and > 0,
//! `low <= open, close <= high`, and timestamps strictly increasing.
//!
//! **Events** ([`BarEvent`]) follow ACCEPTED → (TRIGGERED) → PARTIALLY_FILLED* → FILLED, or end
//! in CANCELED / EXPIRED. Fill, trigger and bar-driven cancel events carry the bar's `ts`;
//! ACCEPTED, explicit cancels and expiries carry the `ts` passed in. Within a bar, events come in
//! submission order of their orders.

use rustc_hash::FxHashMap;
use thiserror::Error;

use crate::types::{OrderId, OrderType, Qty, Side, TimeInForce, TimestampNs};

/// Why a command or bar was refused. The engine is unchanged after any error.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum BarMatchingError {
    #[error("max_volume_pct must be in (0, 1], got {0}")]
    InvalidMaxVolumePct(f64),
    #[error("slippage_bps must be finite and in [0, 10000), got {0}")]
    InvalidSlippageBps(f64),
    #[error("bar at {ts}: {field} must be finite and > 0, got {value}")]
    InvalidBarPrice {
        ts: TimestampNs,
        field: &'static str,
        value: f64,
    },
    #[error(
        "bar at {ts}: need low <= open, close <= high, got o={open} h={high} l={low} c={close}"
    )]
    InconsistentBar {
        ts: TimestampNs,
        open: f64,
        high: f64,
        low: f64,
        close: f64,
    },
    #[error("bar at {ts} is not after the previous bar at {previous}")]
    BarOutOfOrder {
        ts: TimestampNs,
        previous: TimestampNs,
    },
    #[error("order {0}: quantity must be positive")]
    InvalidQuantity(OrderId),
    #[error("order {id}: {order_type:?} order needs a limit price")]
    MissingLimitPrice { id: OrderId, order_type: OrderType },
    #[error("order {id}: {order_type:?} order needs a stop price")]
    MissingStopPrice { id: OrderId, order_type: OrderType },
    #[error("order {id}: limit price must be finite and > 0, got {price}")]
    InvalidLimitPrice { id: OrderId, price: f64 },
    #[error("order {id}: stop price must be finite and > 0, got {price}")]
    InvalidStopPrice { id: OrderId, price: f64 },
    #[error("order id {0} is already open")]
    DuplicateOrderId(OrderId),
    #[error("order id {0} is not open")]
    UnknownOrderId(OrderId),
}

/// Which price of a bar orders fill at (before limit/stop adjustments and slippage).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum FillAt {
    /// The bar's open: the conservative default for signals computed on the previous bar.
    #[default]
    Open = 0,
    /// The bar's close.
    Close = 1,
    /// The bar's VWAP, or its typical price `(high + low + close) / 3` when it has none.
    Vwap = 2,
}

/// The engine's fill model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BarMatchingConfig {
    /// Which bar price orders fill at.
    pub fill_at: FillAt,
    /// At most this fraction of a bar's volume fills on it, over all orders; must be in (0, 1].
    /// `None` removes the cap. Default `Some(0.1)`.
    pub max_volume_pct: Option<f64>,
    /// Slippage against the order in basis points; finite and in [0, 10000). Default 0.
    pub slippage_bps: f64,
}

impl Default for BarMatchingConfig {
    fn default() -> Self {
        BarMatchingConfig {
            fill_at: FillAt::Open,
            max_volume_pct: Some(0.1),
            slippage_bps: 0.0,
        }
    }
}

impl BarMatchingConfig {
    /// Checks the ranges documented on the fields.
    pub fn validate(&self) -> Result<(), BarMatchingError> {
        if let Some(pct) = self.max_volume_pct {
            if !(pct > 0.0 && pct <= 1.0) {
                return Err(BarMatchingError::InvalidMaxVolumePct(pct));
            }
        }
        let bps = self.slippage_bps;
        if !(bps.is_finite() && (0.0..10_000.0).contains(&bps)) {
            return Err(BarMatchingError::InvalidSlippageBps(bps));
        }
        Ok(())
    }

    /// The most lots a bar of `volume` lots can fill, over all orders (see the module docs).
    pub fn volume_cap(&self, volume: Qty) -> Qty {
        match self.max_volume_pct {
            None => Qty::MAX,
            Some(pct) => {
                let raw = pct * volume as f64;
                let nearest = raw.round();
                let lots = if (raw - nearest).abs() <= 1e-9 * nearest.max(1.0) {
                    nearest
                } else {
                    raw.floor()
                };
                // `as` saturates; the cap never exceeds the bar's volume.
                (lots as Qty).min(volume)
            }
        }
    }
}

/// One OHLCV bar of one instrument. `ts` identifies the bar (strictly increasing per engine).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bar {
    pub ts: TimestampNs,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    /// Traded volume in lots.
    pub volume: Qty,
    /// The bar's volume-weighted average price, when the data has one. Must be finite and > 0;
    /// a VWAP outside `[low, high]` is accepted but not used (the typical price is).
    pub vwap: Option<f64>,
}

impl Bar {
    /// Checks prices finite and > 0 and `low <= open, close <= high`.
    pub fn validate(&self) -> Result<(), BarMatchingError> {
        let fields = [
            ("open", self.open),
            ("high", self.high),
            ("low", self.low),
            ("close", self.close),
        ];
        let vwap = self.vwap.map(|v| ("vwap", v));
        for (field, value) in fields.into_iter().chain(vwap) {
            if !(value.is_finite() && value > 0.0) {
                return Err(BarMatchingError::InvalidBarPrice {
                    ts: self.ts,
                    field,
                    value,
                });
            }
        }
        let in_range = |p: f64| self.low <= p && p <= self.high;
        if !(in_range(self.open) && in_range(self.close)) {
            return Err(BarMatchingError::InconsistentBar {
                ts: self.ts,
                open: self.open,
                high: self.high,
                low: self.low,
                close: self.close,
            });
        }
        Ok(())
    }

    /// `(high + low + close) / 3`.
    pub fn typical_price(&self) -> f64 {
        (self.high + self.low + self.close) / 3.0
    }

    /// The price orders fill at under `fill_at`, before limit/stop adjustments and slippage.
    pub fn base_price(&self, fill_at: FillAt) -> f64 {
        match fill_at {
            FillAt::Open => self.open,
            FillAt::Close => self.close,
            FillAt::Vwap => match self.vwap {
                Some(v) if self.low <= v && v <= self.high => v,
                _ => self.typical_price(),
            },
        }
    }
}

/// A new order for the bar engine.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BarOrder {
    pub id: OrderId,
    pub side: Side,
    pub order_type: OrderType,
    pub tif: TimeInForce,
    /// Quantity in lots, > 0.
    pub qty: Qty,
    /// Limit price (LIMIT, STOP_LIMIT); ignored for MARKET and STOP.
    pub limit_price: Option<f64>,
    /// Trigger price (STOP, STOP_LIMIT); ignored for MARKET and LIMIT.
    pub stop_price: Option<f64>,
}

impl BarOrder {
    /// A market order.
    pub fn market(id: u64, side: Side, qty: Qty, tif: TimeInForce) -> Self {
        BarOrder {
            id: OrderId(id),
            side,
            order_type: OrderType::Market,
            tif,
            qty,
            limit_price: None,
            stop_price: None,
        }
    }

    /// A limit order.
    pub fn limit(id: u64, side: Side, qty: Qty, limit: f64, tif: TimeInForce) -> Self {
        BarOrder {
            order_type: OrderType::Limit,
            limit_price: Some(limit),
            ..BarOrder::market(id, side, qty, tif)
        }
    }

    /// A stop (stop-market) order.
    pub fn stop(id: u64, side: Side, qty: Qty, stop: f64, tif: TimeInForce) -> Self {
        BarOrder {
            order_type: OrderType::Stop,
            stop_price: Some(stop),
            ..BarOrder::market(id, side, qty, tif)
        }
    }

    /// A stop-limit order.
    pub fn stop_limit(
        id: u64,
        side: Side,
        qty: Qty,
        stop: f64,
        limit: f64,
        tif: TimeInForce,
    ) -> Self {
        BarOrder {
            order_type: OrderType::StopLimit,
            stop_price: Some(stop),
            limit_price: Some(limit),
            ..BarOrder::market(id, side, qty, tif)
        }
    }

    /// Checks the order on its own (not id uniqueness); see the module docs.
    pub fn validate(&self) -> Result<(), BarMatchingError> {
        let id = self.id;
        let order_type = self.order_type;
        if self.qty == 0 {
            return Err(BarMatchingError::InvalidQuantity(id));
        }
        if matches!(order_type, OrderType::Limit | OrderType::StopLimit) {
            let price = self
                .limit_price
                .ok_or(BarMatchingError::MissingLimitPrice { id, order_type })?;
            if !(price.is_finite() && price > 0.0) {
                return Err(BarMatchingError::InvalidLimitPrice { id, price });
            }
        }
        if matches!(order_type, OrderType::Stop | OrderType::StopLimit) {
            let price = self
                .stop_price
                .ok_or(BarMatchingError::MissingStopPrice { id, order_type })?;
            if !(price.is_finite() && price > 0.0) {
                return Err(BarMatchingError::InvalidStopPrice { id, price });
            }
        }
        Ok(())
    }

    /// The limit price, for types that have one (validated on submit).
    fn limit_px(&self) -> f64 {
        self.limit_price.unwrap_or(f64::NAN)
    }

    /// The stop price, for types that have one (validated on submit).
    fn stop_px(&self) -> f64 {
        self.stop_price.unwrap_or(f64::NAN)
    }
}

/// What happened to an order. Codes match [`crate::matching::EventKind`] where they overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum BarEventKind {
    Accepted = 0,
    PartiallyFilled = 2,
    Filled = 3,
    Canceled = 4,
    Expired = 5,
    Triggered = 6,
}

/// An order event.
///
/// - fills (PARTIALLY_FILLED, FILLED): `price`/`qty` are the fill's, `leaves` what stays open;
/// - CANCELED, EXPIRED: `qty` is the quantity removed, `leaves` 0, `price` 0;
/// - ACCEPTED, TRIGGERED: `qty` 0, `price` 0, `leaves` the open quantity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BarEvent {
    pub kind: BarEventKind,
    pub id: OrderId,
    pub ts: TimestampNs,
    pub price: f64,
    pub qty: Qty,
    pub leaves: Qty,
}

impl BarEvent {
    fn simple(kind: BarEventKind, id: OrderId, ts: TimestampNs, qty: Qty, leaves: Qty) -> Self {
        BarEvent {
            kind,
            id,
            ts,
            price: 0.0,
            qty,
            leaves,
        }
    }
}

/// An order still working in the engine.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OpenOrder {
    /// The order as submitted.
    pub order: BarOrder,
    /// Submission sequence number (0, 1, 2, … per engine): the FIFO priority.
    pub seq: u64,
    /// Quantity still open.
    pub leaves: Qty,
    /// True once a stop or stop-limit has triggered.
    pub triggered: bool,
}

impl OpenOrder {
    /// Quantity filled so far.
    pub fn filled(&self) -> Qty {
        self.order.qty - self.leaves
    }
}

/// The bar matching engine for one instrument; see the module docs for the rules.
#[derive(Debug, Clone)]
#[cfg_attr(test, derive(PartialEq))]
pub struct BarMatchingEngine {
    config: BarMatchingConfig,
    /// Open orders in submission order (ascending `seq`).
    orders: Vec<OpenOrder>,
    /// Open order id → its `seq`, for duplicate checks and O(log n) lookup.
    index: FxHashMap<OrderId, u64>,
    next_seq: u64,
    last_bar_ts: Option<TimestampNs>,
    events: Vec<BarEvent>,
}

impl BarMatchingEngine {
    /// An engine with no orders, after checking `config`.
    pub fn new(config: BarMatchingConfig) -> Result<Self, BarMatchingError> {
        config.validate()?;
        Ok(BarMatchingEngine {
            config,
            orders: Vec::new(),
            index: FxHashMap::default(),
            next_seq: 0,
            last_bar_ts: None,
            events: Vec::new(),
        })
    }

    /// The fill model.
    pub fn config(&self) -> &BarMatchingConfig {
        &self.config
    }

    /// The timestamp of the last bar processed.
    pub fn last_bar_ts(&self) -> Option<TimestampNs> {
        self.last_bar_ts
    }

    /// Open orders in submission order.
    pub fn open_orders(&self) -> &[OpenOrder] {
        &self.orders
    }

    /// One open order by id.
    pub fn order(&self, id: OrderId) -> Option<&OpenOrder> {
        self.position_of(id).map(|i| &self.orders[i])
    }

    /// True if `id` is an open order.
    pub fn is_open(&self, id: OrderId) -> bool {
        self.index.contains_key(&id)
    }

    /// Events emitted since the last drain or clear, in order.
    pub fn events(&self) -> &[BarEvent] {
        &self.events
    }

    /// Takes the buffered events, leaving the buffer empty.
    pub fn drain_events(&mut self) -> Vec<BarEvent> {
        std::mem::take(&mut self.events)
    }

    /// Drops the buffered events, keeping the buffer's capacity.
    pub fn clear_events(&mut self) {
        self.events.clear();
    }

    /// Accepts an order (ACCEPTED event); it first works on the next bar processed.
    pub fn submit(&mut self, order: BarOrder, ts: TimestampNs) -> Result<(), BarMatchingError> {
        order.validate()?;
        if self.index.contains_key(&order.id) {
            return Err(BarMatchingError::DuplicateOrderId(order.id));
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.index.insert(order.id, seq);
        self.orders.push(OpenOrder {
            order,
            seq,
            leaves: order.qty,
            triggered: false,
        });
        self.events.push(BarEvent::simple(
            BarEventKind::Accepted,
            order.id,
            ts,
            0,
            order.qty,
        ));
        Ok(())
    }

    /// Cancels an open order (CANCELED event) and returns the quantity cancelled.
    pub fn cancel(&mut self, id: OrderId, ts: TimestampNs) -> Result<Qty, BarMatchingError> {
        let i = self
            .position_of(id)
            .ok_or(BarMatchingError::UnknownOrderId(id))?;
        let removed = self.orders.remove(i);
        self.index.remove(&id);
        self.events.push(BarEvent::simple(
            BarEventKind::Canceled,
            id,
            ts,
            removed.leaves,
            0,
        ));
        Ok(removed.leaves)
    }

    /// Expires every DAY order (EXPIRED events, submission order); returns how many.
    pub fn session_end(&mut self, ts: TimestampNs) -> usize {
        let events = &mut self.events;
        let index = &mut self.index;
        let before = self.orders.len();
        self.orders.retain(|o| {
            if o.order.tif != TimeInForce::Day {
                return true;
            }
            events.push(BarEvent::simple(
                BarEventKind::Expired,
                o.order.id,
                ts,
                o.leaves,
                0,
            ));
            index.remove(&o.order.id);
            false
        });
        before - self.orders.len()
    }

    /// Works every open order against `bar`, in submission order; see the module docs.
    pub fn process_bar(&mut self, bar: &Bar) -> Result<(), BarMatchingError> {
        bar.validate()?;
        if let Some(previous) = self.last_bar_ts {
            if bar.ts <= previous {
                return Err(BarMatchingError::BarOutOfOrder {
                    ts: bar.ts,
                    previous,
                });
            }
        }
        self.last_bar_ts = Some(bar.ts);

        let base = bar.base_price(self.config.fill_at);
        let slip = self.config.slippage_bps / 10_000.0;
        let mut cap = self.config.volume_cap(bar.volume);
        let ts = bar.ts;
        let events = &mut self.events;

        for o in self.orders.iter_mut() {
            let order = o.order;
            let immediate = matches!(order.tif, TimeInForce::Ioc | TimeInForce::Fok);

            // 1. Trigger stops.
            let mut triggered_now = false;
            if matches!(order.order_type, OrderType::Stop | OrderType::StopLimit) && !o.triggered {
                let hit = match order.side {
                    Side::Buy => bar.high >= order.stop_px(),
                    Side::Sell => bar.low <= order.stop_px(),
                };
                if hit {
                    o.triggered = true;
                    triggered_now = true;
                    events.push(BarEvent::simple(
                        BarEventKind::Triggered,
                        order.id,
                        ts,
                        0,
                        o.leaves,
                    ));
                } else {
                    if immediate {
                        cancel_on_bar(events, o, ts);
                    }
                    continue;
                }
            }

            // 2. The price, if the order can fill on this bar.
            let price = reference_price(&order, bar, base, triggered_now);

            // 3. The quantity, under the bar's shared volume cap.
            let qty = match price {
                Some(_) => o.leaves.min(cap),
                None => 0,
            };
            if order.tif == TimeInForce::Fok && qty < o.leaves {
                cancel_on_bar(events, o, ts);
                continue;
            }
            if let Some(price) = price.filter(|_| qty > 0) {
                cap -= qty;
                o.leaves -= qty;
                let kind = if o.leaves == 0 {
                    BarEventKind::Filled
                } else {
                    BarEventKind::PartiallyFilled
                };
                events.push(BarEvent {
                    kind,
                    id: order.id,
                    ts,
                    price: slipped(&order, price, slip),
                    qty,
                    leaves: o.leaves,
                });
            }
            if immediate && o.leaves > 0 {
                cancel_on_bar(events, o, ts);
            }
        }

        // Orders with nothing left (filled or cancelled above) leave the book.
        let index = &mut self.index;
        self.orders.retain(|o| {
            if o.leaves == 0 {
                index.remove(&o.order.id);
            }
            o.leaves > 0
        });
        Ok(())
    }

    fn position_of(&self, id: OrderId) -> Option<usize> {
        let seq = *self.index.get(&id)?;
        self.orders.binary_search_by_key(&seq, |o| o.seq).ok()
    }
}

/// Cancels what is left of `o` during a bar; `leaves` 0 marks it for removal.
fn cancel_on_bar(events: &mut Vec<BarEvent>, o: &mut OpenOrder, ts: TimestampNs) {
    events.push(BarEvent::simple(
        BarEventKind::Canceled,
        o.order.id,
        ts,
        o.leaves,
        0,
    ));
    o.leaves = 0;
}

/// The fill price before slippage, or `None` if the order cannot fill on `bar`. Stops reaching
/// here have triggered (on this bar when `triggered_now`).
fn reference_price(order: &BarOrder, bar: &Bar, base: f64, triggered_now: bool) -> Option<f64> {
    // On the trigger bar a stop fills no better than its stop price.
    let stop_adjusted = || match (triggered_now, order.side) {
        (false, _) => base,
        (true, Side::Buy) => base.max(order.stop_px()),
        (true, Side::Sell) => base.min(order.stop_px()),
    };
    match order.order_type {
        OrderType::Market => Some(base),
        OrderType::Stop => Some(stop_adjusted()),
        OrderType::Limit => limit_price(order.side, base, order.limit_px(), bar),
        OrderType::StopLimit => limit_price(order.side, stop_adjusted(), order.limit_px(), bar),
    }
}

/// A limit order's fill price from `reference`, if the bar reaches the limit.
fn limit_price(side: Side, reference: f64, limit: f64, bar: &Bar) -> Option<f64> {
    match side {
        Side::Buy => (bar.low <= limit).then(|| reference.min(limit)),
        Side::Sell => (bar.high >= limit).then(|| reference.max(limit)),
    }
}

/// Applies slippage against the order, clamped to the limit for limit-priced orders.
fn slipped(order: &BarOrder, price: f64, slip: f64) -> f64 {
    let has_limit = matches!(order.order_type, OrderType::Limit | OrderType::StopLimit);
    match order.side {
        Side::Buy => {
            let p = price * (1.0 + slip);
            if has_limit {
                p.min(order.limit_px())
            } else {
                p
            }
        }
        Side::Sell => {
            let p = price * (1.0 - slip);
            if has_limit {
                p.max(order.limit_px())
            } else {
                p
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use BarEventKind::*;
    use OrderType::{Limit, Market, Stop, StopLimit};
    use Side::{Buy, Sell};
    use TimeInForce::{Day, Fok, Gtc, Ioc};

    fn cfg(fill_at: FillAt, max_volume_pct: Option<f64>, slippage_bps: f64) -> BarMatchingConfig {
        BarMatchingConfig {
            fill_at,
            max_volume_pct,
            slippage_bps,
        }
    }

    fn bar(ts: TimestampNs, open: f64, high: f64, low: f64, close: f64, volume: Qty) -> Bar {
        Bar {
            ts,
            open,
            high,
            low,
            close,
            volume,
            vwap: None,
        }
    }

    /// The reference bar: range 95–110, opens 100, closes 105, VWAP 103, 1000 lots.
    fn b1() -> Bar {
        Bar {
            vwap: Some(103.0),
            ..bar(1, 100.0, 110.0, 95.0, 105.0, 1000)
        }
    }

    /// Gaps up above b1: range 111–115.
    fn b2() -> Bar {
        bar(2, 112.0, 115.0, 111.0, 113.0, 1000)
    }

    /// Back down: range 104–109.
    fn b3() -> Bar {
        bar(3, 108.0, 109.0, 104.0, 106.0, 1000)
    }

    fn order(
        id: u64,
        side: Side,
        order_type: OrderType,
        tif: TimeInForce,
        qty: Qty,
        limit: Option<f64>,
        stop: Option<f64>,
    ) -> BarOrder {
        BarOrder {
            id: OrderId(id),
            side,
            order_type,
            tif,
            qty,
            limit_price: limit,
            stop_price: stop,
        }
    }

    /// (kind, order id, price, qty, leaves); ACCEPTED events are left out.
    type Expected = (BarEventKind, u64, f64, Qty, Qty);

    struct Case {
        name: &'static str,
        config: BarMatchingConfig,
        orders: Vec<BarOrder>,
        bars: Vec<Bar>,
        session_end: bool,
        expected: Vec<Expected>,
    }

    fn case(
        name: &'static str,
        config: BarMatchingConfig,
        orders: Vec<BarOrder>,
        bars: Vec<Bar>,
        expected: Vec<Expected>,
    ) -> Case {
        Case {
            name,
            config,
            orders,
            bars,
            session_end: false,
            expected,
        }
    }

    const NO_CAP: Option<f64> = None;
    const CAP_10: Option<f64> = Some(0.1);

    fn cases() -> Vec<Case> {
        use FillAt::{Close, Open, Vwap};
        let open = cfg(Open, NO_CAP, 0.0);
        let close = cfg(Close, NO_CAP, 0.0);
        let vwap = cfg(Vwap, NO_CAP, 0.0);
        let mkt = |id, side, tif, qty| order(id, side, Market, tif, qty, None, None);
        let lim = |id, side, tif, qty, l| order(id, side, Limit, tif, qty, Some(l), None);
        let stp = |id, side, tif, qty, s| order(id, side, Stop, tif, qty, None, Some(s));
        let stl = |id, side, tif, qty, s, l| order(id, side, StopLimit, tif, qty, Some(l), Some(s));
        let mut day_cases = vec![
            Case {
                session_end: true,
                ..case(
                    "day limit not reached expires at session end",
                    open,
                    vec![lim(1, Buy, Day, 10, 94.0)],
                    vec![b1()],
                    vec![(Expired, 1, 0.0, 10, 0)],
                )
            },
            Case {
                session_end: true,
                ..case(
                    "day market partly filled under the cap, rest expires",
                    cfg(Open, CAP_10, 0.0),
                    vec![mkt(1, Buy, Day, 150)],
                    vec![b1()],
                    vec![
                        (PartiallyFilled, 1, 100.0, 100, 50),
                        (Expired, 1, 0.0, 50, 0),
                    ],
                )
            },
            Case {
                session_end: true,
                ..case(
                    "session end expires day orders only, gtc stays",
                    open,
                    vec![lim(1, Buy, Gtc, 10, 90.0), lim(2, Buy, Day, 10, 90.0)],
                    vec![b1()],
                    vec![(Expired, 2, 0.0, 10, 0)],
                )
            },
        ];
        let mut all = vec![
            // ---- Market ----
            case(
                "market buy gtc at open",
                open,
                vec![mkt(1, Buy, Gtc, 10)],
                vec![b1()],
                vec![(Filled, 1, 100.0, 10, 0)],
            ),
            case(
                "market sell gtc at close",
                close,
                vec![mkt(1, Sell, Gtc, 10)],
                vec![b1()],
                vec![(Filled, 1, 105.0, 10, 0)],
            ),
            case(
                "market buy at the bar vwap",
                vwap,
                vec![mkt(1, Buy, Ioc, 10)],
                vec![b1()],
                vec![(Filled, 1, 103.0, 10, 0)],
            ),
            case(
                "market buy at typical price when no vwap",
                vwap,
                vec![mkt(1, Buy, Gtc, 10)],
                vec![Bar { vwap: None, ..b1() }],
                vec![(Filled, 1, 103.333_333_333_333_33, 10, 0)],
            ),
            case(
                "vwap outside the range falls back to typical price",
                vwap,
                vec![mkt(1, Sell, Gtc, 10)],
                vec![Bar {
                    vwap: Some(120.0),
                    ..b1()
                }],
                vec![(Filled, 1, 103.333_333_333_333_33, 10, 0)],
            ),
            case(
                "market gtc capped by volume carries the rest to the next bar",
                cfg(Open, CAP_10, 0.0),
                vec![mkt(1, Buy, Gtc, 150)],
                vec![b1(), b2()],
                vec![
                    (PartiallyFilled, 1, 100.0, 100, 50),
                    (Filled, 1, 112.0, 50, 0),
                ],
            ),
            case(
                "market ioc capped by volume cancels the rest",
                cfg(Open, CAP_10, 0.0),
                vec![mkt(1, Buy, Ioc, 150)],
                vec![b1(), b2()],
                vec![
                    (PartiallyFilled, 1, 100.0, 100, 50),
                    (Canceled, 1, 0.0, 50, 0),
                ],
            ),
            case(
                "market fok capped by volume is cancelled whole",
                cfg(Close, CAP_10, 0.0),
                vec![mkt(1, Sell, Fok, 150)],
                vec![b1()],
                vec![(Canceled, 1, 0.0, 150, 0)],
            ),
            case(
                "market fok within the cap fills whole",
                cfg(Close, CAP_10, 0.0),
                vec![mkt(1, Sell, Fok, 100)],
                vec![b1()],
                vec![(Filled, 1, 105.0, 100, 0)],
            ),
            case(
                "market buy pays slippage",
                cfg(Open, NO_CAP, 10.0),
                vec![mkt(1, Buy, Gtc, 10)],
                vec![b1()],
                vec![(Filled, 1, 100.1, 10, 0)],
            ),
            case(
                "market sell receives less with slippage",
                cfg(Open, NO_CAP, 10.0),
                vec![mkt(1, Sell, Gtc, 10)],
                vec![b1()],
                vec![(Filled, 1, 99.9, 10, 0)],
            ),
            case(
                "capped partial fills with slippage on both bars",
                cfg(Open, CAP_10, 10.0),
                vec![mkt(1, Buy, Gtc, 150)],
                vec![b1(), b2()],
                vec![
                    (PartiallyFilled, 1, 100.1, 100, 50),
                    (Filled, 1, 112.112, 50, 0),
                ],
            ),
            case(
                "cap is shared by orders in submission order",
                cfg(Open, CAP_10, 0.0),
                vec![
                    mkt(1, Buy, Gtc, 80),
                    mkt(2, Sell, Gtc, 80),
                    mkt(3, Buy, Ioc, 5),
                ],
                vec![b1(), b2()],
                vec![
                    (Filled, 1, 100.0, 80, 0),
                    (PartiallyFilled, 2, 100.0, 20, 60),
                    (Canceled, 3, 0.0, 5, 0),
                    (Filled, 2, 112.0, 60, 0),
                ],
            ),
            case(
                "zero volume bar fills nothing while capped",
                cfg(Open, CAP_10, 0.0),
                vec![mkt(1, Buy, Gtc, 10), mkt(2, Buy, Ioc, 10)],
                vec![bar(1, 100.0, 110.0, 95.0, 105.0, 0), b2()],
                vec![(Canceled, 2, 0.0, 10, 0), (Filled, 1, 112.0, 10, 0)],
            ),
            case(
                "no cap fills beyond the bar volume",
                open,
                vec![mkt(1, Buy, Gtc, 5000)],
                vec![bar(1, 100.0, 110.0, 95.0, 105.0, 0)],
                vec![(Filled, 1, 100.0, 5000, 0)],
            ),
            case(
                "volume cap rounds 0.29 x 100 to 29 lots",
                cfg(Open, Some(0.29), 0.0),
                vec![mkt(1, Buy, Gtc, 50)],
                vec![bar(1, 100.0, 110.0, 95.0, 105.0, 100)],
                vec![(PartiallyFilled, 1, 100.0, 29, 21)],
            ),
            // ---- Limit ----
            case(
                "limit buy below open fills at the limit",
                open,
                vec![lim(1, Buy, Gtc, 10, 97.0)],
                vec![b1()],
                vec![(Filled, 1, 97.0, 10, 0)],
            ),
            case(
                "limit buy above open fills at open",
                open,
                vec![lim(1, Buy, Gtc, 10, 101.0)],
                vec![b1()],
                vec![(Filled, 1, 100.0, 10, 0)],
            ),
            case(
                "limit buy at the low fills at the limit",
                close,
                vec![lim(1, Buy, Fok, 10, 95.0)],
                vec![b1()],
                vec![(Filled, 1, 95.0, 10, 0)],
            ),
            case(
                "limit buy below the low rests gtc",
                open,
                vec![lim(1, Buy, Gtc, 10, 94.0)],
                vec![b1()],
                vec![],
            ),
            case(
                "limit buy below the low rests until a bar reaches it",
                close,
                vec![lim(1, Buy, Gtc, 10, 104.5)],
                vec![b2(), b3()],
                vec![(Filled, 1, 104.5, 10, 0)],
            ),
            case(
                "limit buy not reached ioc is cancelled",
                open,
                vec![lim(1, Buy, Ioc, 10, 94.0)],
                vec![b1()],
                vec![(Canceled, 1, 0.0, 10, 0)],
            ),
            case(
                "limit buy not reached fok is cancelled",
                open,
                vec![lim(1, Buy, Fok, 10, 94.0)],
                vec![b1()],
                vec![(Canceled, 1, 0.0, 10, 0)],
            ),
            case(
                "limit sell above close fills at the limit",
                close,
                vec![lim(1, Sell, Gtc, 10, 108.0)],
                vec![b1()],
                vec![(Filled, 1, 108.0, 10, 0)],
            ),
            case(
                "limit sell below close fills at close",
                close,
                vec![lim(1, Sell, Gtc, 10, 104.0)],
                vec![b1()],
                vec![(Filled, 1, 105.0, 10, 0)],
            ),
            case(
                "limit sell above the high rests",
                close,
                vec![lim(1, Sell, Day, 10, 111.0)],
                vec![b1()],
                vec![],
            ),
            case(
                "limit sell at vwap",
                vwap,
                vec![lim(1, Sell, Ioc, 10, 102.0)],
                vec![b1()],
                vec![(Filled, 1, 103.0, 10, 0)],
            ),
            case(
                "limit buy slippage inside the limit",
                cfg(Open, NO_CAP, 50.0),
                vec![lim(1, Buy, Gtc, 10, 101.0)],
                vec![b1()],
                vec![(Filled, 1, 100.5, 10, 0)],
            ),
            case(
                "limit buy slippage is clamped to the limit",
                cfg(Open, NO_CAP, 50.0),
                vec![lim(1, Buy, Gtc, 10, 100.2)],
                vec![b1()],
                vec![(Filled, 1, 100.2, 10, 0)],
            ),
            case(
                "limit sell slippage inside the limit",
                cfg(Close, NO_CAP, 50.0),
                vec![lim(1, Sell, Gtc, 10, 104.0)],
                vec![b1()],
                vec![(Filled, 1, 104.475, 10, 0)],
            ),
            case(
                "limit sell slippage is clamped to the limit",
                cfg(Close, NO_CAP, 50.0),
                vec![lim(1, Sell, Gtc, 10, 104.9)],
                vec![b1()],
                vec![(Filled, 1, 104.9, 10, 0)],
            ),
            case(
                "limit ioc capped fills part and cancels the rest",
                cfg(Open, CAP_10, 0.0),
                vec![lim(1, Sell, Ioc, 120, 99.0)],
                vec![b1()],
                vec![
                    (PartiallyFilled, 1, 100.0, 100, 20),
                    (Canceled, 1, 0.0, 20, 0),
                ],
            ),
            case(
                "limit fok capped is cancelled",
                cfg(Open, CAP_10, 0.0),
                vec![lim(1, Sell, Fok, 120, 99.0)],
                vec![b1()],
                vec![(Canceled, 1, 0.0, 120, 0)],
            ),
            // ---- Stop ----
            case(
                "stop buy triggered inside the bar fills at the stop",
                open,
                vec![stp(1, Buy, Gtc, 10, 108.0)],
                vec![b1()],
                vec![(Triggered, 1, 0.0, 0, 10), (Filled, 1, 108.0, 10, 0)],
            ),
            case(
                "stop buy below close fills at close",
                close,
                vec![stp(1, Buy, Gtc, 10, 102.0)],
                vec![b1()],
                vec![(Triggered, 1, 0.0, 0, 10), (Filled, 1, 105.0, 10, 0)],
            ),
            case(
                "stop buy gapped through fills at the open",
                open,
                vec![stp(1, Buy, Gtc, 10, 111.0)],
                vec![b1(), b2()],
                vec![(Triggered, 1, 0.0, 0, 10), (Filled, 1, 112.0, 10, 0)],
            ),
            case(
                "stop buy not triggered ioc is cancelled",
                open,
                vec![stp(1, Buy, Ioc, 10, 112.0)],
                vec![b1()],
                vec![(Canceled, 1, 0.0, 10, 0)],
            ),
            case(
                "stop buy not triggered fok is cancelled",
                open,
                vec![stp(1, Buy, Fok, 10, 112.0)],
                vec![b1()],
                vec![(Canceled, 1, 0.0, 10, 0)],
            ),
            case(
                "stop sell triggered fills at the stop",
                open,
                vec![stp(1, Sell, Gtc, 10, 97.0)],
                vec![b1()],
                vec![(Triggered, 1, 0.0, 0, 10), (Filled, 1, 97.0, 10, 0)],
            ),
            case(
                "stop sell at vwap fills at vwap when vwap is lower",
                vwap,
                vec![stp(1, Sell, Day, 10, 104.0)],
                vec![b1()],
                vec![(Triggered, 1, 0.0, 0, 10), (Filled, 1, 103.0, 10, 0)],
            ),
            case(
                "triggered stop carries over as a market order",
                cfg(Open, CAP_10, 0.0),
                vec![stp(1, Buy, Gtc, 150, 108.0)],
                vec![b1(), b2()],
                vec![
                    (Triggered, 1, 0.0, 0, 150),
                    (PartiallyFilled, 1, 108.0, 100, 50),
                    (Filled, 1, 112.0, 50, 0),
                ],
            ),
            case(
                "stop ioc triggered and capped cancels the rest",
                cfg(Close, CAP_10, 0.0),
                vec![stp(1, Sell, Ioc, 150, 97.0)],
                vec![b1()],
                vec![
                    (Triggered, 1, 0.0, 0, 150),
                    (PartiallyFilled, 1, 97.0, 100, 50),
                    (Canceled, 1, 0.0, 50, 0),
                ],
            ),
            case(
                "stop buy with slippage",
                cfg(Open, NO_CAP, 10.0),
                vec![stp(1, Buy, Gtc, 10, 108.0)],
                vec![b1()],
                vec![(Triggered, 1, 0.0, 0, 10), (Filled, 1, 108.108, 10, 0)],
            ),
            // ---- Stop-limit ----
            case(
                "stop limit buy fills at the stop below its limit",
                open,
                vec![stl(1, Buy, Gtc, 10, 108.0, 109.0)],
                vec![b1()],
                vec![(Triggered, 1, 0.0, 0, 10), (Filled, 1, 108.0, 10, 0)],
            ),
            case(
                "stop limit buy with limit under the stop fills at the limit",
                open,
                vec![stl(1, Buy, Gtc, 10, 108.0, 107.0)],
                vec![b1()],
                vec![(Triggered, 1, 0.0, 0, 10), (Filled, 1, 107.0, 10, 0)],
            ),
            case(
                "stop limit sell fills at the stop above its limit",
                close,
                vec![stl(1, Sell, Gtc, 10, 97.0, 96.0)],
                vec![b1()],
                vec![(Triggered, 1, 0.0, 0, 10), (Filled, 1, 97.0, 10, 0)],
            ),
            case(
                "stop limit triggered but limit unreached fok is cancelled",
                open,
                vec![stl(1, Buy, Fok, 10, 111.0, 110.5)],
                vec![b2()],
                vec![(Triggered, 1, 0.0, 0, 10), (Canceled, 1, 0.0, 10, 0)],
            ),
            case(
                "stop limit not triggered ioc is cancelled",
                close,
                vec![stl(1, Sell, Ioc, 10, 94.0, 93.0)],
                vec![b1(), b2()],
                vec![(Canceled, 1, 0.0, 10, 0)],
            ),
            case(
                "stop limit gtc waits untriggered",
                close,
                vec![stl(1, Sell, Gtc, 10, 94.0, 93.0)],
                vec![b1(), b2()],
                vec![],
            ),
            case(
                "stop limit ioc triggered with limit unreached is cancelled",
                open,
                vec![stl(1, Buy, Ioc, 10, 112.0, 110.5)],
                vec![b2()],
                vec![(Triggered, 1, 0.0, 0, 10), (Canceled, 1, 0.0, 10, 0)],
            ),
            case(
                "triggered stop limit waits for its limit on later bars",
                cfg(Open, CAP_10, 0.0),
                vec![stl(1, Buy, Gtc, 150, 108.0, 109.0)],
                vec![b1(), b2(), b3()],
                vec![
                    (Triggered, 1, 0.0, 0, 150),
                    (PartiallyFilled, 1, 108.0, 100, 50),
                    (Filled, 1, 108.0, 50, 0),
                ],
            ),
            case(
                "stop limit slippage is clamped to the limit",
                cfg(Open, NO_CAP, 10.0),
                vec![stl(1, Buy, Gtc, 10, 108.0, 108.05)],
                vec![b1()],
                vec![(Triggered, 1, 0.0, 0, 10), (Filled, 1, 108.05, 10, 0)],
            ),
            case(
                "stop limit at vwap",
                vwap,
                vec![stl(1, Sell, Day, 10, 104.0, 100.0)],
                vec![b1()],
                vec![(Triggered, 1, 0.0, 0, 10), (Filled, 1, 103.0, 10, 0)],
            ),
        ];
        all.append(&mut day_cases);
        all
    }

    fn run(engine: &mut BarMatchingEngine, orders: &[BarOrder], bars: &[Bar]) {
        for o in orders {
            engine.submit(*o, 0).unwrap();
        }
        for b in bars {
            engine.process_bar(b).unwrap();
        }
    }

    fn close_enough(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
    }

    #[test]
    fn hand_worked_table() {
        for c in cases() {
            let mut engine = BarMatchingEngine::new(c.config).unwrap();
            run(&mut engine, &c.orders, &c.bars);
            if c.session_end {
                engine.session_end(99);
            }
            let got: Vec<Expected> = engine
                .drain_events()
                .into_iter()
                .filter(|e| e.kind != Accepted)
                .map(|e| (e.kind, e.id.0, e.price, e.qty, e.leaves))
                .collect();
            let same = got.len() == c.expected.len()
                && got.iter().zip(&c.expected).all(|(g, e)| {
                    g.0 == e.0 && g.1 == e.1 && close_enough(g.2, e.2) && g.3 == e.3 && g.4 == e.4
                });
            assert!(
                same,
                "{}:\n got      {:?}\n expected {:?}",
                c.name, got, c.expected
            );
        }
    }

    #[test]
    fn table_covers_every_fill_at_type_and_tif() {
        let cases = cases();
        for fill_at in [FillAt::Open, FillAt::Close, FillAt::Vwap] {
            for t in [Market, Limit, Stop, StopLimit] {
                assert!(
                    cases
                        .iter()
                        .any(|c| c.config.fill_at == fill_at && c.orders[0].order_type == t),
                    "{fill_at:?} {t:?}"
                );
            }
        }
        for t in [Market, Limit, Stop, StopLimit] {
            for tif in [Gtc, Ioc, Fok, Day] {
                assert!(
                    cases
                        .iter()
                        .any(|c| c.orders[0].order_type == t && c.orders[0].tif == tif),
                    "{t:?} {tif:?}"
                );
            }
        }
    }

    #[test]
    fn orders_work_from_the_next_bar_only() {
        let mut engine = BarMatchingEngine::new(cfg(FillAt::Close, None, 0.0)).unwrap();
        engine.process_bar(&b1()).unwrap();
        engine.submit(BarOrder::market(7, Buy, 10, Gtc), 1).unwrap();
        assert_eq!(engine.open_orders().len(), 1);
        engine.process_bar(&b2()).unwrap();
        let fills: Vec<_> = engine
            .events()
            .iter()
            .filter(|e| e.kind == Filled)
            .copied()
            .collect();
        assert_eq!(fills.len(), 1);
        assert_eq!((fills[0].ts, fills[0].price), (2, 113.0));
        assert!(engine.open_orders().is_empty());
    }

    #[test]
    fn accepted_and_cancel_events_carry_the_given_ts() {
        let mut engine = BarMatchingEngine::default_engine();
        engine
            .submit(BarOrder::limit(1, Sell, 40, 200.0, Gtc), 5)
            .unwrap();
        engine.process_bar(&b1()).unwrap();
        assert_eq!(engine.cancel(OrderId(1), 9), Ok(40));
        assert_eq!(
            engine.drain_events(),
            vec![
                BarEvent::simple(Accepted, OrderId(1), 5, 0, 40),
                BarEvent::simple(Canceled, OrderId(1), 9, 40, 0),
            ]
        );
        assert!(engine.events().is_empty());
        // A finished id can be used again.
        engine
            .submit(BarOrder::limit(1, Sell, 40, 200.0, Gtc), 10)
            .unwrap();
    }

    #[test]
    fn open_orders_are_listed_in_submission_order_with_leaves() {
        let mut engine = BarMatchingEngine::new(cfg(FillAt::Open, CAP_10, 0.0)).unwrap();
        for (id, qty) in [(30, 60), (10, 70), (20, 5)] {
            engine
                .submit(BarOrder::market(id, Buy, qty, Gtc), 0)
                .unwrap();
        }
        engine.process_bar(&b1()).unwrap();
        let open: Vec<(u64, Qty, Qty)> = engine
            .open_orders()
            .iter()
            .map(|o| (o.order.id.0, o.leaves, o.filled()))
            .collect();
        assert_eq!(open, vec![(10, 30, 40), (20, 5, 0)]);
        assert_eq!(engine.order(OrderId(20)).map(|o| o.seq), Some(2));
        assert!(!engine.is_open(OrderId(30)));
    }

    impl BarMatchingEngine {
        fn default_engine() -> Self {
            BarMatchingEngine::new(BarMatchingConfig::default()).unwrap()
        }
    }

    #[test]
    fn invalid_configs_are_refused() {
        for pct in [0.0, -0.1, 1.01, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                BarMatchingEngine::new(cfg(FillAt::Open, Some(pct), 0.0)),
                Err(BarMatchingError::InvalidMaxVolumePct(_))
            ));
        }
        assert!(BarMatchingEngine::new(cfg(FillAt::Open, Some(1.0), 0.0)).is_ok());
        for bps in [-1.0, 10_000.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                BarMatchingEngine::new(cfg(FillAt::Open, None, bps)),
                Err(BarMatchingError::InvalidSlippageBps(_))
            ));
        }
    }

    /// A non-trivial engine: resting orders, a triggered stop, buffered events.
    fn busy_engine() -> BarMatchingEngine {
        let mut engine = BarMatchingEngine::new(cfg(FillAt::Open, CAP_10, 5.0)).unwrap();
        engine
            .submit(BarOrder::limit(1, Buy, 10, 90.0, Gtc), 0)
            .unwrap();
        engine
            .submit(BarOrder::stop(2, Buy, 500, 108.0, Day), 0)
            .unwrap();
        engine.process_bar(&b1()).unwrap();
        engine
    }

    #[test]
    fn invalid_orders_leave_the_engine_unchanged() {
        let bad = [
            (
                BarOrder::market(9, Buy, 0, Gtc),
                BarMatchingError::InvalidQuantity(OrderId(9)),
            ),
            (
                order(9, Buy, Limit, Gtc, 5, None, None),
                BarMatchingError::MissingLimitPrice {
                    id: OrderId(9),
                    order_type: Limit,
                },
            ),
            (
                order(9, Sell, StopLimit, Gtc, 5, None, Some(100.0)),
                BarMatchingError::MissingLimitPrice {
                    id: OrderId(9),
                    order_type: StopLimit,
                },
            ),
            (
                order(9, Sell, Stop, Gtc, 5, Some(100.0), None),
                BarMatchingError::MissingStopPrice {
                    id: OrderId(9),
                    order_type: Stop,
                },
            ),
            (
                order(9, Sell, StopLimit, Gtc, 5, Some(100.0), None),
                BarMatchingError::MissingStopPrice {
                    id: OrderId(9),
                    order_type: StopLimit,
                },
            ),
            (
                BarOrder::limit(9, Buy, 5, -1.0, Gtc),
                BarMatchingError::InvalidLimitPrice {
                    id: OrderId(9),
                    price: -1.0,
                },
            ),
            (
                BarOrder::limit(9, Buy, 5, f64::INFINITY, Gtc),
                BarMatchingError::InvalidLimitPrice {
                    id: OrderId(9),
                    price: f64::INFINITY,
                },
            ),
            (
                BarOrder::stop(9, Buy, 5, 0.0, Gtc),
                BarMatchingError::InvalidStopPrice {
                    id: OrderId(9),
                    price: 0.0,
                },
            ),
            (
                BarOrder::market(1, Buy, 5, Gtc),
                BarMatchingError::DuplicateOrderId(OrderId(1)),
            ),
            (
                BarOrder::market(2, Buy, 5, Gtc),
                BarMatchingError::DuplicateOrderId(OrderId(2)),
            ),
        ];
        for (o, err) in bad {
            let mut engine = busy_engine();
            let before = engine.clone();
            assert_eq!(engine.submit(o, 3), Err(err));
            assert_eq!(engine, before);
        }
        // NaN prices compare unequal, so check that case by shape.
        let mut engine = busy_engine();
        let before = engine.clone();
        assert!(matches!(
            engine.submit(BarOrder::stop(9, Sell, 5, f64::NAN, Gtc), 3),
            Err(BarMatchingError::InvalidStopPrice { .. })
        ));
        assert_eq!(engine, before);
    }

    #[test]
    fn unused_prices_are_ignored() {
        let mut engine = BarMatchingEngine::new(cfg(FillAt::Open, None, 0.0)).unwrap();
        let o = order(1, Buy, Market, Gtc, 5, Some(f64::NAN), Some(-3.0));
        engine.submit(o, 0).unwrap();
        engine.process_bar(&b1()).unwrap();
        assert_eq!(engine.events()[1].price, 100.0);
    }

    #[test]
    fn unknown_cancel_leaves_the_engine_unchanged() {
        let mut engine = busy_engine();
        let before = engine.clone();
        assert_eq!(
            engine.cancel(OrderId(77), 4),
            Err(BarMatchingError::UnknownOrderId(OrderId(77)))
        );
        assert_eq!(engine, before);
    }

    #[test]
    fn invalid_bars_leave_the_engine_unchanged() {
        let base = b2();
        let bad = [
            (
                Bar {
                    open: f64::NAN,
                    ..base
                },
                "open",
            ),
            (Bar { high: 0.0, ..base }, "high"),
            (Bar { low: -1.0, ..base }, "low"),
            (
                Bar {
                    close: f64::INFINITY,
                    ..base
                },
                "close",
            ),
            (
                Bar {
                    vwap: Some(f64::NAN),
                    ..base
                },
                "vwap",
            ),
        ];
        for (b, field) in bad {
            let mut engine = busy_engine();
            let before = engine.clone();
            match engine.process_bar(&b) {
                Err(BarMatchingError::InvalidBarPrice {
                    field: f, ts: 2, ..
                }) => {
                    assert_eq!(f, field)
                }
                other => panic!("{field}: {other:?}"),
            }
            assert_eq!(engine, before);
        }
        let inconsistent = [
            Bar {
                open: 116.0,
                ..base
            },
            Bar {
                close: 110.0,
                ..base
            },
            Bar { low: 116.0, ..base },
        ];
        for b in inconsistent {
            let mut engine = busy_engine();
            let before = engine.clone();
            assert!(matches!(
                engine.process_bar(&b),
                Err(BarMatchingError::InconsistentBar { ts: 2, .. })
            ));
            assert_eq!(engine, before);
        }
        for ts in [0, 1] {
            let mut engine = busy_engine();
            let before = engine.clone();
            assert_eq!(
                engine.process_bar(&Bar { ts, ..base }),
                Err(BarMatchingError::BarOutOfOrder { ts, previous: 1 })
            );
            assert_eq!(engine, before);
        }
    }

    #[test]
    fn volume_cap_floors_with_a_tolerance() {
        let c = |pct| cfg(FillAt::Open, Some(pct), 0.0);
        assert_eq!(c(0.1).volume_cap(1000), 100);
        assert_eq!(c(0.1).volume_cap(1009), 100);
        assert_eq!(c(0.29).volume_cap(100), 29);
        assert_eq!(c(0.07).volume_cap(100), 7);
        assert_eq!(c(1.0).volume_cap(17), 17);
        assert_eq!(c(0.5).volume_cap(1), 0);
        assert_eq!(c(0.1).volume_cap(0), 0);
        assert_eq!(cfg(FillAt::Open, None, 0.0).volume_cap(0), Qty::MAX);
    }

    // ---- Properties ----

    #[derive(Debug, Clone)]
    struct Step {
        orders: Vec<BarOrder>,
        cancel: Option<usize>,
        bar: (i64, i64, u8, u8, Qty, u8),
        session_end: bool,
    }

    fn price_cents() -> impl Strategy<Value = f64> {
        (4_000u32..16_000).prop_map(|c| f64::from(c) / 100.0)
    }

    fn arb_order() -> impl Strategy<Value = BarOrder> {
        (
            0u8..4,
            any::<bool>(),
            0u8..4,
            1u64..400,
            price_cents(),
            price_cents(),
        )
            .prop_map(|(t, buy, tif, qty, limit, stop)| BarOrder {
                id: OrderId(0),
                side: if buy { Buy } else { Sell },
                order_type: OrderType::from_code(t.into()).unwrap(),
                tif: TimeInForce::from_code(tif.into()).unwrap(),
                qty,
                limit_price: Some(limit),
                stop_price: Some(stop),
            })
    }

    fn arb_step() -> impl Strategy<Value = Step> {
        (
            prop::collection::vec(arb_order(), 0..4),
            prop::option::of(0usize..64),
            (
                5_000i64..15_000,
                0i64..3_000,
                0u8..=100,
                0u8..=100,
                0u64..3_000,
                0u8..3,
            ),
            prop::bool::weighted(0.2),
        )
            .prop_map(|(orders, cancel, bar, session_end)| Step {
                orders,
                cancel,
                bar,
                session_end,
            })
    }

    fn arb_config() -> impl Strategy<Value = BarMatchingConfig> {
        (
            0u8..3,
            prop::sample::select(vec![None, Some(0.05), Some(0.1), Some(0.5), Some(1.0)]),
            prop::sample::select(vec![0.0, 5.0, 25.0]),
        )
            .prop_map(|(f, max_volume_pct, slippage_bps)| BarMatchingConfig {
                fill_at: [FillAt::Open, FillAt::Close, FillAt::Vwap][usize::from(f)],
                max_volume_pct,
                slippage_bps,
            })
    }

    fn make_bar(ts: TimestampNs, spec: (i64, i64, u8, u8, Qty, u8)) -> Bar {
        let (low_c, range_c, of, cf, volume, vwap_kind) = spec;
        let low = low_c as f64 / 100.0;
        let range = range_c as f64 / 100.0;
        let high = low + range;
        let at = |f: u8| low + range * f64::from(f) / 100.0;
        Bar {
            ts,
            open: at(of),
            high,
            low,
            close: at(cf),
            volume,
            vwap: match vwap_kind {
                0 => None,
                1 => Some(at(50)),
                _ => Some(high + 1.0),
            },
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn quantity_is_conserved_and_fills_stay_in_the_bar(
            config in arb_config(),
            steps in prop::collection::vec(arb_step(), 1..40),
        ) {
            let mut engine = BarMatchingEngine::new(config).unwrap();
            let mut submitted: Qty = 0;
            let mut next_id = 0u64;
            let mut bars = Vec::new();
            let mut orders = FxHashMap::default();
            for (i, step) in steps.iter().enumerate() {
                let ts = i as TimestampNs + 1;
                for o in &step.orders {
                    let o = BarOrder { id: OrderId(next_id), ..*o };
                    next_id += 1;
                    engine.submit(o, ts).unwrap();
                    submitted += o.qty;
                    orders.insert(o.id, o);
                }
                if let Some(k) = step.cancel {
                    let open = engine.open_orders();
                    if !open.is_empty() {
                        let id = open[k % open.len()].order.id;
                        engine.cancel(id, ts).unwrap();
                    }
                }
                let b = make_bar(ts, step.bar);
                engine.process_bar(&b).unwrap();
                bars.push(b);
                if step.session_end {
                    engine.session_end(ts);
                }
            }

            let (mut filled, mut cancelled, mut expired) = (0, 0, 0);
            let mut per_bar: FxHashMap<TimestampNs, Qty> = FxHashMap::default();
            let s = config.slippage_bps / 10_000.0;
            for e in engine.events() {
                match e.kind {
                    Filled | PartiallyFilled => {
                        filled += e.qty;
                        *per_bar.entry(e.ts).or_default() += e.qty;
                        let b = &bars[(e.ts - 1) as usize];
                        let o = orders[&e.id];
                        let (lo, hi) = match o.side {
                            Buy => (b.low, b.high * (1.0 + s)),
                            Sell => (b.low * (1.0 - s), b.high),
                        };
                        let eps = if s == 0.0 { 0.0 } else { 1e-9 };
                        prop_assert!(lo - eps <= e.price && e.price <= hi + eps,
                            "{e:?} outside [{lo}, {hi}] for {o:?} on {b:?}");
                        if matches!(o.order_type, Limit | StopLimit) {
                            let limit = o.limit_price.unwrap();
                            match o.side {
                                Buy => prop_assert!(e.price <= limit),
                                Sell => prop_assert!(e.price >= limit),
                            }
                        }
                    }
                    Canceled => cancelled += e.qty,
                    Expired => expired += e.qty,
                    Accepted | Triggered => prop_assert_eq!(e.qty, 0),
                }
            }
            let open: Qty = engine.open_orders().iter().map(|o| o.leaves).sum();
            prop_assert_eq!(submitted, filled + cancelled + expired + open);
            for (ts, qty) in per_bar {
                let b = &bars[(ts - 1) as usize];
                prop_assert!(qty <= config.volume_cap(b.volume));
            }
            for o in engine.open_orders() {
                prop_assert!(matches!(o.order.tif, Gtc | Day));
                prop_assert!(o.leaves > 0);
            }
        }
    }
}
