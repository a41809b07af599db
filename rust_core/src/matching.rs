//! A matching engine on the L3 [`OrderBook`]: commands in, trades and order events out.
//!
//! Rules (the contract; the pure-Python reference book in `ferrotrade.reference` mirrors them):
//! - **Validation** raises [`MatchError`] and changes nothing: quantity > 0; a limit price > 0 for
//!   LIMIT and STOP_LIMIT; a stop price > 0 for STOP and STOP_LIMIT; ids unique among live orders
//!   (resting or pending stops). A finished order's id may be used again.
//! - **Limit** orders take liquidity at prices no worse than the limit, best price first and FIFO
//!   within a level (the maker's price is the trade price); the rest rests (GTC, DAY) or is
//!   cancelled (IOC). **FOK** fills completely or is rejected before anything trades.
//! - **Market** orders take any price; whatever cannot fill is cancelled, whatever the time in
//!   force (a market order never rests). A market order that meets an empty opposite side is
//!   rejected (`NoLiquidity`).
//! - **Stop** and **stop-limit** orders wait off-book until a trade prints at or through the
//!   stop (buy: price ≥ stop; sell: price ≤ stop); if the last trade already has on arrival,
//!   they trigger at once. A triggered stop becomes a market order, a stop-limit a limit order
//!   with the same time in force. Every price an order prints counts, not only its last: a sweep
//!   through a stop triggers it. Triggered stops run after the order that triggered them, one at
//!   a time: buy stops lowest stop first, then sell stops highest stop first, ties by arrival;
//!   stops triggered by a triggered stop's trades cascade. A market FOK order on an empty book
//!   is rejected as `FokCannotFill` (the FOK check comes first).
//!   A triggered FOK or market order that cannot fill is cancelled (it was already accepted).
//! - **Modify** of a resting limit order: same price and smaller quantity keeps queue priority;
//!   a new price or a larger quantity re-enters at the back and may trade at once. Modify of a
//!   pending stop changes its stop price and quantity.
//! - **Session end** expires every DAY order (resting in book order, then pending stops in
//!   arrival order).
//! - No self-trade prevention: an order may trade with one of the same owner.
//!
//! Events per order follow NEW → ACKED → PARTIALLY_FILLED → FILLED, NEW → REJECTED, and
//! ACKED/PARTIALLY_FILLED → CANCELED/EXPIRED. Each trade emits a [`Trade`], then the maker's fill
//! event, then the taker's. Quantity is conserved: submitted = filled + resting + pending +
//! cancelled + expired + rejected, per order and in total.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;
use thiserror::Error;

use crate::book::{BookError, OrderBook, RestingOrder};
use crate::types::{OrderId, OrderType, Price, Qty, Side, TimeInForce, TimestampNs};

/// Why a command was refused. The engine is unchanged after any error.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum MatchError {
    #[error("order id {0} is already live")]
    DuplicateOrderId(OrderId),
    #[error("order id {0} is not live")]
    UnknownOrderId(OrderId),
    #[error("quantity must be positive, got {0}")]
    InvalidQuantity(Qty),
    #[error("price must be positive, got {0} ticks")]
    InvalidPrice(Price),
    #[error("{0:?} order needs a limit price")]
    MissingLimitPrice(OrderType),
    #[error("{0:?} order needs a stop price")]
    MissingStopPrice(OrderType),
    #[error("quantity overflow at price {0}")]
    Overflow(Price),
}

impl From<BookError> for MatchError {
    fn from(e: BookError) -> Self {
        match e {
            BookError::DuplicateOrderId(id) => MatchError::DuplicateOrderId(id),
            BookError::UnknownOrderId(id) => MatchError::UnknownOrderId(id),
            BookError::InvalidQuantity(q) => MatchError::InvalidQuantity(q),
            BookError::InvalidPrice(p) => MatchError::InvalidPrice(p),
            BookError::Overflow(p) => MatchError::Overflow(p),
        }
    }
}

/// A new order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderRequest {
    pub id: OrderId,
    pub side: Side,
    pub order_type: OrderType,
    pub tif: TimeInForce,
    pub qty: Qty,
    /// Limit price (LIMIT, STOP_LIMIT); ignored for MARKET and STOP.
    pub price: Option<Price>,
    /// Trigger price (STOP, STOP_LIMIT); ignored otherwise.
    pub stop_price: Option<Price>,
    pub ts: TimestampNs,
}

impl OrderRequest {
    /// A GTC limit order.
    pub fn limit(id: u64, side: Side, price: Price, qty: Qty, ts: TimestampNs) -> Self {
        OrderRequest {
            id: OrderId(id),
            side,
            order_type: OrderType::Limit,
            tif: TimeInForce::Gtc,
            qty,
            price: Some(price),
            stop_price: None,
            ts,
        }
    }

    /// A market order.
    pub fn market(id: u64, side: Side, qty: Qty, ts: TimestampNs) -> Self {
        OrderRequest {
            id: OrderId(id),
            side,
            order_type: OrderType::Market,
            tif: TimeInForce::Ioc,
            qty,
            price: None,
            stop_price: None,
            ts,
        }
    }

    /// The same order with another time in force.
    pub fn with_tif(self, tif: TimeInForce) -> Self {
        OrderRequest { tif, ..self }
    }
}

/// One command for [`MatchingEngine::apply`], the unit of replay and batch entry points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Submit(OrderRequest),
    Cancel {
        id: OrderId,
        ts: TimestampNs,
    },
    /// New quantity, and a new limit price (resting) or stop price (pending stop) if given.
    Modify {
        id: OrderId,
        qty: Qty,
        price: Option<Price>,
        ts: TimestampNs,
    },
    SessionEnd {
        ts: TimestampNs,
    },
}

/// What happened to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum EventKind {
    Accepted = 0,
    Rejected = 1,
    PartiallyFilled = 2,
    Filled = 3,
    Canceled = 4,
    Expired = 5,
    Triggered = 6,
    Modified = 7,
}

/// Why an order was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum RejectReason {
    None = 0,
    /// A FOK order could not fill completely on arrival.
    FokCannotFill = 1,
    /// A market order met an empty opposite side.
    NoLiquidity = 2,
}

/// An order event. `price`/`qty` are the fill's for fills and 0 otherwise, except CANCELED and
/// EXPIRED whose `qty` is the quantity removed; `leaves` is what stays working afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderEvent {
    pub kind: EventKind,
    pub id: OrderId,
    pub ts: TimestampNs,
    pub price: Price,
    pub qty: Qty,
    pub leaves: Qty,
    pub reason: RejectReason,
}

impl OrderEvent {
    fn simple(kind: EventKind, id: OrderId, ts: TimestampNs, leaves: Qty) -> Self {
        OrderEvent {
            kind,
            id,
            ts,
            price: 0,
            qty: 0,
            leaves,
            reason: RejectReason::None,
        }
    }
}

/// A trade between a resting maker and an incoming taker, at the maker's price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trade {
    pub maker: OrderId,
    pub taker: OrderId,
    pub price: Price,
    pub qty: Qty,
    pub aggressor: Side,
    pub ts: TimestampNs,
}

#[derive(Debug, Clone, Copy)]
struct PendingStop {
    req: OrderRequest,
    stop: Price,
    seq: u64,
}

/// Where the engine writes what happens, as it happens: trades and order events in order.
///
/// The engine's own buffers ([`MatchingEngine::trades`] and [`MatchingEngine::events`]) are one
/// sink; a caller with its own output format (the Python batch API's arrays) is another, so that
/// records are written once, straight where they are wanted, instead of buffered and converted.
pub trait Sink {
    fn trade(&mut self, trade: Trade);
    fn event(&mut self, event: OrderEvent);

    /// A trade, then the maker's fill event, then the taker's: what every fill writes (a
    /// sink may write the two events at once).
    #[inline(always)]
    fn fill(&mut self, trade: Trade, maker: OrderEvent, taker: OrderEvent) {
        self.trade(trade);
        self.event(maker);
        self.event(taker);
    }
}

/// Owned trade and event buffers as a [`Sink`]: what a loop over many commands writes to
/// (see [`crate::batch::apply_rows`]); a local sink keeps its vectors' ends in registers.
#[derive(Debug, Default, Clone)]
pub struct Records {
    pub trades: Vec<Trade>,
    pub events: Vec<OrderEvent>,
}

/// The engine's buffers as a [`Sink`].
struct Buffers<'a> {
    trades: &'a mut Vec<Trade>,
    events: &'a mut Vec<OrderEvent>,
}

/// One body for every sink that is a pair of `trades` / `events` vectors, owned or borrowed.
/// A macro, not a shared generic: routing both through one type (moving the engine's buffers
/// into a `Records` and back per call) cost the per-call path ~8% (5.8 -> 5.4 M ops/s).
macro_rules! vec_pair_sink {
    ($($sink:ty),+) => {$(
        impl Sink for $sink {
            #[inline(always)]
            fn trade(&mut self, trade: Trade) {
                self.trades.push(trade);
            }

            #[inline(always)]
            fn event(&mut self, event: OrderEvent) {
                self.events.push(event);
            }

            #[inline(always)]
            fn fill(&mut self, trade: Trade, maker: OrderEvent, taker: OrderEvent) {
                self.trades.push(trade);
                // One capacity check for both (an array's iterator has an exact length).
                self.events.extend([maker, taker]);
            }
        }
    )+};
}

vec_pair_sink!(Records, Buffers<'_>);

/// The engine: matching state and output buffers.
#[derive(Debug, Default, Clone)]
pub struct MatchingEngine {
    state: State,
    /// Trades since the last drain, in execution order.
    pub trades: Vec<Trade>,
    /// Order events since the last drain, in order.
    pub events: Vec<OrderEvent>,
}

/// The matching state: an order book, pending stops and the last trade price. Its commands
/// write their records to any [`Sink`].
#[derive(Debug, Default, Clone)]
struct State {
    book: OrderBook,
    buy_stops: BTreeMap<(Price, u64), PendingStop>,
    sell_stops: BTreeMap<(Price, u64), PendingStop>,
    /// id → (side, stop, key) where key is the sequence (buys) or its complement (sells).
    stop_index: FxHashMap<OrderId, (Side, Price, u64)>,
    last_trade: Option<Price>,
    /// Lowest and highest trade price printed since stops were last checked.
    print_range: Option<(Price, Price)>,
    seq: u64,
}

impl MatchingEngine {
    /// An empty engine.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty engine with room for `orders` resting orders (at once; see
    /// [`OrderBook::with_capacity`]).
    pub fn with_capacity(orders: usize) -> Self {
        MatchingEngine {
            state: State {
                book: OrderBook::with_capacity(orders),
                ..State::default()
            },
            ..Self::default()
        }
    }

    /// The order book (read-only: all changes go through commands).
    pub fn book(&self) -> &OrderBook {
        &self.state.book
    }

    /// The last trade price, which stops trigger on.
    pub fn last_trade_price(&self) -> Option<Price> {
        self.state.last_trade
    }

    /// Number of stop orders waiting for their trigger.
    pub fn pending_stop_count(&self) -> usize {
        self.state.stop_index.len()
    }

    /// A pending stop order by id.
    pub fn pending_stop(&self, id: OrderId) -> Option<OrderRequest> {
        let &(side, stop, key) = self.state.stop_index.get(&id)?;
        self.state.stops(side).get(&(stop, key)).map(|p| p.req)
    }

    /// True when `id` is resting or pending.
    #[inline]
    pub fn is_live(&self, id: OrderId) -> bool {
        self.state.is_live(id)
    }

    /// Removes and returns buffered trades and events.
    pub fn drain(&mut self) -> (Vec<Trade>, Vec<OrderEvent>) {
        (
            std::mem::take(&mut self.trades),
            std::mem::take(&mut self.events),
        )
    }

    /// Clears the output buffers, keeping their capacity.
    pub fn clear_output(&mut self) {
        self.trades.clear();
        self.events.clear();
    }

    /// Takes the engine's buffers out as one owned sink; [`MatchingEngine::put_records`] puts
    /// them back.
    pub fn take_records(&mut self) -> Records {
        Records {
            trades: std::mem::take(&mut self.trades),
            events: std::mem::take(&mut self.events),
        }
    }

    /// Makes `records` the engine's buffers again (after [`MatchingEngine::take_records`]).
    pub fn put_records(&mut self, records: Records) {
        self.trades = records.trades;
        self.events = records.events;
    }

    /// The engine's own buffers as the sink of a command.
    #[inline(always)]
    fn parts(&mut self) -> (&mut State, Buffers<'_>) {
        let out = Buffers {
            trades: &mut self.trades,
            events: &mut self.events,
        };
        (&mut self.state, out)
    }

    /// Applies one command.
    pub fn apply(&mut self, cmd: &Command) -> Result<(), MatchError> {
        let (state, mut out) = self.parts();
        state.apply(cmd, &mut out)
    }

    /// Applies one command, writing its trades and events to `out` instead of the engine's
    /// buffers (which stay as they are).
    #[inline]
    pub fn apply_to<S: Sink>(&mut self, cmd: &Command, out: &mut S) -> Result<(), MatchError> {
        self.state.apply(cmd, out)
    }

    /// [`MatchingEngine::submit`] writing to `out`, like [`MatchingEngine::apply_to`]: for
    /// a caller that has decoded the command kind already (the batch row loop).
    #[inline(always)]
    pub fn submit_to<S: Sink>(&mut self, req: OrderRequest, out: &mut S) -> Result<(), MatchError> {
        self.state.submit(req, out)
    }

    /// [`MatchingEngine::submit_to`] of a GTC or DAY limit order (`tif`) with a positive
    /// price and quantity, if it rests without trading: the same outcome, straight from the
    /// order's fields (the batch row loop's fast path for most orders). `None` when it would
    /// trade: nothing is done then, and the order goes to [`MatchingEngine::submit_to`].
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    pub fn rest_if_passive_to<S: Sink>(
        &mut self,
        id: OrderId,
        side: Side,
        price: Price,
        qty: Qty,
        tif: TimeInForce,
        ts: TimestampNs,
        out: &mut S,
    ) -> Option<Result<(), MatchError>> {
        debug_assert!(matches!(tif, TimeInForce::Gtc | TimeInForce::Day) && price > 0 && qty > 0);
        let order = RestingOrder {
            id,
            side,
            price,
            qty,
            ts,
            tag: tif as u8,
        };
        self.state.rest_if_passive(order, out)
    }

    /// [`MatchingEngine::cancel`] writing to `out` (see [`MatchingEngine::submit_to`]).
    #[inline(always)]
    pub fn cancel_to<S: Sink>(
        &mut self,
        id: OrderId,
        ts: TimestampNs,
        out: &mut S,
    ) -> Result<(), MatchError> {
        self.state.cancel(id, ts, out)
    }

    /// [`MatchingEngine::modify`] writing to `out` (see [`MatchingEngine::submit_to`]).
    #[inline(always)]
    pub fn modify_to<S: Sink>(
        &mut self,
        id: OrderId,
        qty: Qty,
        price: Option<Price>,
        ts: TimestampNs,
        out: &mut S,
    ) -> Result<(), MatchError> {
        self.state.modify(id, qty, price, ts, out)
    }

    /// [`MatchingEngine::session_end`] writing to `out` (see [`MatchingEngine::submit_to`]).
    pub fn session_end_to<S: Sink>(&mut self, ts: TimestampNs, out: &mut S) {
        self.state.session_end(ts, out);
    }

    /// Submits a new order; see the module docs for the rules.
    pub fn submit(&mut self, req: OrderRequest) -> Result<(), MatchError> {
        let (state, mut out) = self.parts();
        state.submit(req, &mut out)
    }

    /// Cancels a resting or pending order.
    pub fn cancel(&mut self, id: OrderId, ts: TimestampNs) -> Result<(), MatchError> {
        let (state, mut out) = self.parts();
        state.cancel(id, ts, &mut out)
    }

    /// Modifies a resting order (quantity and limit price) or a pending stop (quantity and stop
    /// price). `qty` is the new working quantity.
    pub fn modify(
        &mut self,
        id: OrderId,
        qty: Qty,
        price: Option<Price>,
        ts: TimestampNs,
    ) -> Result<(), MatchError> {
        let (state, mut out) = self.parts();
        state.modify(id, qty, price, ts, &mut out)
    }

    /// Expires every DAY order.
    pub fn session_end(&mut self, ts: TimestampNs) {
        let (state, mut out) = self.parts();
        state.session_end(ts, &mut out);
    }
}

impl State {
    #[inline]
    fn is_live(&self, id: OrderId) -> bool {
        self.book.contains(id) || (!self.stop_index.is_empty() && self.stop_index.contains_key(&id))
    }

    #[inline(always)]
    fn apply<S: Sink>(&mut self, cmd: &Command, out: &mut S) -> Result<(), MatchError> {
        match *cmd {
            Command::Submit(req) => self.submit(req, out),
            Command::Cancel { id, ts } => self.cancel(id, ts, out),
            Command::Modify { id, qty, price, ts } => self.modify(id, qty, price, ts, out),
            Command::SessionEnd { ts } => {
                self.session_end(ts, out);
                Ok(())
            }
        }
    }

    /// Submits a new order; see the module docs for the rules.
    fn submit<S: Sink>(&mut self, req: OrderRequest, out: &mut S) -> Result<(), MatchError> {
        // The passive test implies validity, so most orders skip the general validation.
        if let Some(price) = self.passive_price(&req) {
            return self.rest_passive(resting(&req, price), out);
        }
        validate(&req)?;
        if self.is_live(req.id) {
            return Err(MatchError::DuplicateOrderId(req.id));
        }
        match req.order_type {
            OrderType::Limit => self.execute(
                req.id, req.side, req.price, req.qty, req.tif, req.ts, false, out,
            ),
            OrderType::Market => {
                self.execute(req.id, req.side, None, req.qty, req.tif, req.ts, false, out)
            }
            OrderType::Stop | OrderType::StopLimit => {
                let stop = req.stop_price.unwrap_or_default();
                out.event(OrderEvent::simple(
                    EventKind::Accepted,
                    req.id,
                    req.ts,
                    req.qty,
                ));
                if self.stop_reached(req.side, stop) {
                    self.trigger(req, req.ts, out);
                } else {
                    self.insert_stop(req, stop);
                }
            }
        }
        self.run_stops(req.ts, out);
        Ok(())
    }

    /// The limit price of an order that will rest without trading: a valid (quantity and price
    /// positive) GTC or DAY limit that does not reach the opposite touch. Most orders are of
    /// this kind; an order refused here takes the general path, validation first, so errors
    /// are the same whichever path an order takes.
    #[inline]
    fn passive_price(&self, req: &OrderRequest) -> Option<Price> {
        if req.order_type != OrderType::Limit
            || !matches!(req.tif, TimeInForce::Gtc | TimeInForce::Day)
            || req.qty == 0
        {
            return None;
        }
        let price = req.price.filter(|&p| p > 0)?;
        (!self.reaches_touch(req.side, price)).then_some(price)
    }

    /// True when a `side` order limited at `price` would trade with the opposite touch.
    #[inline(always)]
    fn reaches_touch(&self, side: Side, price: Price) -> bool {
        match self.book.best_price(side.opposite()) {
            None => false,
            Some(touch) => match side {
                Side::Buy => price >= touch,
                Side::Sell => price <= touch,
            },
        }
    }

    /// [`State::submit`] of a limit order the caller knows to be valid and GTC or DAY
    /// (`order.tag` its time in force), given as the order it would rest as: rests it if it
    /// does not reach the opposite touch, with exactly the outcome of [`State::submit`], and
    /// returns `None` otherwise (nothing done; submit it the general way then).
    #[inline(always)]
    fn rest_if_passive<S: Sink>(
        &mut self,
        order: RestingOrder,
        out: &mut S,
    ) -> Option<Result<(), MatchError>> {
        if self.reaches_touch(order.side, order.price) {
            return None;
        }
        Some(self.rest_passive(order, out))
    }

    /// [`MatchingEngine::submit`] of an order [`State::passive_price`] accepted: the
    /// same events as matching nothing and resting (ACCEPTED, and CANCELED if the level's total
    /// would overflow), with one index probe for the duplicate check and the insertion. Nothing
    /// prints, so no stop can trigger.
    #[inline(always)]
    fn rest_passive<S: Sink>(
        &mut self,
        order: RestingOrder,
        out: &mut S,
    ) -> Result<(), MatchError> {
        if !self.stop_index.is_empty() && self.stop_index.contains_key(&order.id) {
            return Err(MatchError::DuplicateOrderId(order.id));
        }
        let rested = self.book.add_unique(order);
        if let Err(BookError::DuplicateOrderId(id)) = rested {
            return Err(MatchError::DuplicateOrderId(id));
        }
        out.event(OrderEvent::simple(
            EventKind::Accepted,
            order.id,
            order.ts,
            order.qty,
        ));
        if rested.is_err() {
            out.event(OrderEvent {
                qty: order.qty,
                ..OrderEvent::simple(EventKind::Canceled, order.id, order.ts, 0)
            });
        }
        Ok(())
    }

    /// Cancels a resting or pending order.
    fn cancel<S: Sink>(
        &mut self,
        id: OrderId,
        ts: TimestampNs,
        out: &mut S,
    ) -> Result<(), MatchError> {
        if let Some(qty) = self.book.withdraw(id) {
            out.event(OrderEvent {
                qty,
                ..OrderEvent::simple(EventKind::Canceled, id, ts, 0)
            });
            return Ok(());
        }
        let pending = self.remove_stop(id).ok_or(MatchError::UnknownOrderId(id))?;
        out.event(OrderEvent {
            qty: pending.req.qty,
            ..OrderEvent::simple(EventKind::Canceled, id, ts, 0)
        });
        Ok(())
    }

    /// Modifies a resting order (quantity and limit price) or a pending stop (quantity and stop
    /// price). `qty` is the new working quantity.
    fn modify<S: Sink>(
        &mut self,
        id: OrderId,
        qty: Qty,
        price: Option<Price>,
        ts: TimestampNs,
        out: &mut S,
    ) -> Result<(), MatchError> {
        if qty == 0 {
            return Err(MatchError::InvalidQuantity(qty));
        }
        if let Some(p) = price {
            if p <= 0 {
                return Err(MatchError::InvalidPrice(p));
            }
        }
        if let Some(slot) = self.book.slot_of(id) {
            // Side and price only (no timestamp, no level total): the whole order is read on
            // the rare crossing path alone.
            let (side, old_price, _) = self.book.placement_at(slot);
            let new_price = price.unwrap_or(old_price);
            let crosses = match (side, self.book.best_price(side.opposite())) {
                (_, None) => false,
                (Side::Buy, Some(ask)) => new_price >= ask,
                (Side::Sell, Some(bid)) => new_price <= bid,
            };
            if !crosses {
                self.book.modify_at(slot, new_price, qty, ts)?;
                out.event(OrderEvent::simple(EventKind::Modified, id, ts, qty));
                return Ok(());
            }
            // A crossing modify loses priority and trades as a fresh limit order.
            let old = self.book.cancel_at(slot);
            out.event(OrderEvent::simple(EventKind::Modified, id, ts, qty));
            let tif = tif_from_tag(old.tag);
            self.execute(id, side, Some(new_price), qty, tif, ts, true, out);
            self.run_stops(ts, out);
            return Ok(());
        }
        let pending = self.remove_stop(id).ok_or(MatchError::UnknownOrderId(id))?;
        let stop = price.unwrap_or(pending.stop);
        let req = OrderRequest {
            qty,
            stop_price: Some(stop),
            ts,
            ..pending.req
        };
        out.event(OrderEvent::simple(EventKind::Modified, id, ts, qty));
        if self.stop_reached(req.side, stop) {
            self.trigger(req, ts, out);
            self.run_stops(ts, out);
        } else {
            self.insert_stop(req, stop);
        }
        Ok(())
    }

    /// Expires every DAY order.
    fn session_end<S: Sink>(&mut self, ts: TimestampNs, out: &mut S) {
        let day = TimeInForce::Day as u8;
        let expiring: Vec<RestingOrder> = self
            .book
            .orders()
            .into_iter()
            .filter(|o| o.tag == day)
            .collect();
        for order in expiring {
            if self.book.cancel(order.id).is_ok() {
                out.event(OrderEvent {
                    qty: order.qty,
                    ..OrderEvent::simple(EventKind::Expired, order.id, ts, 0)
                });
            }
        }
        let mut stops: Vec<PendingStop> = self
            .buy_stops
            .values()
            .chain(self.sell_stops.values())
            .filter(|p| p.req.tif == TimeInForce::Day)
            .copied()
            .collect();
        stops.sort_by_key(|p| p.seq);
        for p in stops {
            self.remove_stop(p.req.id);
            out.event(OrderEvent {
                qty: p.req.qty,
                ..OrderEvent::simple(EventKind::Expired, p.req.id, ts, 0)
            });
        }
    }

    /// Matches an incoming (or triggered) order and rests or cancels what is left.
    #[allow(clippy::too_many_arguments)]
    fn execute<S: Sink>(
        &mut self,
        id: OrderId,
        side: Side,
        limit: Option<Price>,
        qty: Qty,
        tif: TimeInForce,
        ts: TimestampNs,
        already_accepted: bool,
        out: &mut S,
    ) {
        let resting_side = side.opposite();
        let refuse = |out: &mut S, reason: RejectReason| {
            if already_accepted {
                out.event(OrderEvent {
                    qty,
                    ..OrderEvent::simple(EventKind::Canceled, id, ts, 0)
                });
            } else {
                out.event(OrderEvent {
                    qty,
                    reason,
                    ..OrderEvent::simple(EventKind::Rejected, id, ts, 0)
                });
            }
        };
        if tif == TimeInForce::Fok && self.book.available(resting_side, limit, qty) < qty {
            refuse(out, RejectReason::FokCannotFill);
            return;
        }
        if limit.is_none() && self.book.best_price(resting_side).is_none() {
            refuse(out, RejectReason::NoLiquidity);
            return;
        }
        if !already_accepted {
            out.event(OrderEvent::simple(EventKind::Accepted, id, ts, qty));
        }
        let mut taker_leaves = qty;
        let mut first = None;
        let mut last = None;
        let filled = self.book.take(resting_side, limit, qty, |f| {
            taker_leaves -= f.qty;
            first.get_or_insert(f.price);
            last = Some(f.price);
            out.fill(
                Trade {
                    maker: f.maker,
                    taker: id,
                    price: f.price,
                    qty: f.qty,
                    aggressor: side,
                    ts,
                },
                fill_event(f.maker, ts, f.price, f.qty, f.maker_leaves),
                fill_event(id, ts, f.price, f.qty, taker_leaves),
            );
        });
        if let (Some(first), Some(last)) = (first, last) {
            self.last_trade = Some(last);
            let (lo, hi) = (first.min(last), first.max(last));
            self.print_range = Some(match self.print_range {
                Some((l, h)) => (l.min(lo), h.max(hi)),
                None => (lo, hi),
            });
        }
        let leaves = qty - filled;
        if leaves == 0 {
            return;
        }
        let rests = limit.is_some() && matches!(tif, TimeInForce::Gtc | TimeInForce::Day);
        if rests {
            let order = RestingOrder {
                id,
                side,
                price: limit.unwrap_or_default(),
                qty: leaves,
                ts,
                tag: tif as u8,
            };
            // Cannot fail: the id is not live, qty > 0, price validated, and a single order
            // cannot overflow a level whose total already fits... unless it would; then cancel.
            if self.book.add_new(order).is_err() {
                out.event(OrderEvent {
                    qty: leaves,
                    ..OrderEvent::simple(EventKind::Canceled, id, ts, 0)
                });
            }
        } else {
            out.event(OrderEvent {
                qty: leaves,
                ..OrderEvent::simple(EventKind::Canceled, id, ts, 0)
            });
        }
    }

    fn trigger<S: Sink>(&mut self, req: OrderRequest, ts: TimestampNs, out: &mut S) {
        out.event(OrderEvent::simple(
            EventKind::Triggered,
            req.id,
            ts,
            req.qty,
        ));
        let limit = match req.order_type {
            OrderType::StopLimit => req.price,
            _ => None,
        };
        self.execute(req.id, req.side, limit, req.qty, req.tif, ts, true, out);
    }

    /// Triggers stops reached by any price printed since the last check (so a stop crossed
    /// mid-sweep triggers even if the sweep ends beyond it), until none is left to trigger.
    /// Inline so that the common cases, nothing printed or no stop pending, cost a test or two
    /// and no call (with no stop pending the range is simply spent).
    #[inline]
    fn run_stops<S: Sink>(&mut self, ts: TimestampNs, out: &mut S) {
        if self.print_range.is_some() {
            if self.stop_index.is_empty() {
                self.print_range = None;
            } else {
                self.trigger_printed_stops(ts, out);
            }
        }
    }

    #[inline(never)]
    fn trigger_printed_stops<S: Sink>(&mut self, ts: TimestampNs, out: &mut S) {
        while let Some((lo, hi)) = self.print_range {
            let buy = self
                .buy_stops
                .first_key_value()
                .filter(|(&(stop, _), _)| hi >= stop)
                .map(|(_, p)| p.req.id);
            let sell = self
                .sell_stops
                .last_key_value()
                .filter(|(&(stop, _), _)| lo <= stop)
                .map(|(_, p)| p.req.id);
            let Some(id) = buy.or(sell) else { break };
            if let Some(p) = self.remove_stop(id) {
                self.trigger(p.req, ts, out);
            }
        }
        self.print_range = None;
    }

    fn stop_reached(&self, side: Side, stop: Price) -> bool {
        match (side, self.last_trade) {
            (_, None) => false,
            (Side::Buy, Some(last)) => last >= stop,
            (Side::Sell, Some(last)) => last <= stop,
        }
    }

    fn stops(&self, side: Side) -> &BTreeMap<(Price, u64), PendingStop> {
        match side {
            Side::Buy => &self.buy_stops,
            Side::Sell => &self.sell_stops,
        }
    }

    /// Buy stops are keyed (stop, seq) and taken from the front; sell stops (stop, !seq) and
    /// taken from the back — highest stop first, and among equal stops the earliest arrival.
    fn insert_stop(&mut self, req: OrderRequest, stop: Price) {
        self.seq += 1;
        let seq = self.seq;
        let pending = PendingStop { req, stop, seq };
        let key = match req.side {
            Side::Buy => seq,
            Side::Sell => !seq,
        };
        match req.side {
            Side::Buy => self.buy_stops.insert((stop, key), pending),
            Side::Sell => self.sell_stops.insert((stop, key), pending),
        };
        self.stop_index.insert(req.id, (req.side, stop, key));
    }

    fn remove_stop(&mut self, id: OrderId) -> Option<PendingStop> {
        let (side, stop, key) = self.stop_index.remove(&id)?;
        match side {
            Side::Buy => self.buy_stops.remove(&(stop, key)),
            Side::Sell => self.sell_stops.remove(&(stop, key)),
        }
    }
}

fn fill_event(id: OrderId, ts: TimestampNs, price: Price, qty: Qty, leaves: Qty) -> OrderEvent {
    OrderEvent {
        kind: if leaves == 0 {
            EventKind::Filled
        } else {
            EventKind::PartiallyFilled
        },
        id,
        ts,
        price,
        qty,
        leaves,
        reason: RejectReason::None,
    }
}

/// The order `req` rests as at `price` (its time in force as the tag).
#[inline(always)]
fn resting(req: &OrderRequest, price: Price) -> RestingOrder {
    RestingOrder {
        id: req.id,
        side: req.side,
        price,
        qty: req.qty,
        ts: req.ts,
        tag: req.tif as u8,
    }
}

fn tif_from_tag(tag: u8) -> TimeInForce {
    TimeInForce::from_code(tag as i64).unwrap_or(TimeInForce::Gtc)
}

fn validate(req: &OrderRequest) -> Result<(), MatchError> {
    if req.qty == 0 {
        return Err(MatchError::InvalidQuantity(req.qty));
    }
    if matches!(req.order_type, OrderType::Limit | OrderType::StopLimit) {
        match req.price {
            None => return Err(MatchError::MissingLimitPrice(req.order_type)),
            Some(p) if p <= 0 => return Err(MatchError::InvalidPrice(p)),
            Some(_) => {}
        }
    }
    if matches!(req.order_type, OrderType::Stop | OrderType::StopLimit) {
        match req.stop_price {
            None => return Err(MatchError::MissingStopPrice(req.order_type)),
            Some(p) if p <= 0 => return Err(MatchError::InvalidPrice(p)),
            Some(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use EventKind::*;

    fn kinds(engine: &MatchingEngine, id: u64) -> Vec<EventKind> {
        engine
            .events
            .iter()
            .filter(|e| e.id == OrderId(id))
            .map(|e| e.kind)
            .collect()
    }

    fn stop(id: u64, side: Side, stop: Price, qty: Qty, limit: Option<Price>) -> OrderRequest {
        OrderRequest {
            id: OrderId(id),
            side,
            order_type: if limit.is_some() {
                OrderType::StopLimit
            } else {
                OrderType::Stop
            },
            tif: TimeInForce::Gtc,
            qty,
            price: limit,
            stop_price: Some(stop),
            ts: 0,
        }
    }

    #[test]
    fn crossing_limit_trades_at_maker_price_and_rests_remainder() {
        let mut e = MatchingEngine::new();
        e.submit(OrderRequest::limit(1, Side::Sell, 101, 5, 1))
            .unwrap();
        e.submit(OrderRequest::limit(2, Side::Buy, 102, 8, 2))
            .unwrap();
        assert_eq!(
            e.trades,
            vec![Trade {
                maker: OrderId(1),
                taker: OrderId(2),
                price: 101,
                qty: 5,
                aggressor: Side::Buy,
                ts: 2
            }]
        );
        assert_eq!(kinds(&e, 1), vec![Accepted, Filled]);
        assert_eq!(kinds(&e, 2), vec![Accepted, PartiallyFilled]);
        assert_eq!(e.book().best_bid(), Some((102, 3)));
        assert_eq!(e.last_trade_price(), Some(101));
    }

    #[test]
    fn ioc_cancels_the_rest_and_fok_rejects_when_short() {
        let mut e = MatchingEngine::new();
        e.submit(OrderRequest::limit(1, Side::Sell, 100, 5, 0))
            .unwrap();
        e.submit(OrderRequest::limit(2, Side::Buy, 100, 8, 0).with_tif(TimeInForce::Fok))
            .unwrap();
        assert_eq!(kinds(&e, 2), vec![Rejected]);
        assert!(e.trades.is_empty());
        e.submit(OrderRequest::limit(3, Side::Buy, 100, 8, 0).with_tif(TimeInForce::Ioc))
            .unwrap();
        assert_eq!(kinds(&e, 3), vec![Accepted, PartiallyFilled, Canceled]);
        let cancel = e.events.last().unwrap();
        assert_eq!((cancel.qty, cancel.leaves), (3, 0));
        assert!(e.book().is_empty());
    }

    #[test]
    fn fok_fills_completely_across_levels() {
        let mut e = MatchingEngine::new();
        e.submit(OrderRequest::limit(1, Side::Sell, 100, 5, 0))
            .unwrap();
        e.submit(OrderRequest::limit(2, Side::Sell, 101, 5, 0))
            .unwrap();
        e.submit(OrderRequest::limit(3, Side::Buy, 101, 8, 0).with_tif(TimeInForce::Fok))
            .unwrap();
        assert_eq!(kinds(&e, 3), vec![Accepted, PartiallyFilled, Filled]);
        assert_eq!(e.book().best_ask(), Some((101, 2)));
    }

    #[test]
    fn market_order_on_empty_side_is_rejected_and_never_rests() {
        let mut e = MatchingEngine::new();
        e.submit(OrderRequest::market(1, Side::Buy, 5, 0)).unwrap();
        assert_eq!(e.events[0].reason, RejectReason::NoLiquidity);
        e.submit(OrderRequest::limit(2, Side::Sell, 100, 2, 0))
            .unwrap();
        e.submit(OrderRequest::market(3, Side::Buy, 5, 0).with_tif(TimeInForce::Gtc))
            .unwrap();
        assert_eq!(kinds(&e, 3), vec![Accepted, PartiallyFilled, Canceled]);
        assert!(e.book().is_empty());
    }

    #[test]
    fn buy_stop_triggers_on_last_trade_and_cascades() {
        let mut e = MatchingEngine::new();
        for (id, p) in [(1, 100), (2, 101), (3, 102)] {
            e.submit(OrderRequest::limit(id, Side::Sell, p, 1, 0))
                .unwrap();
        }
        e.submit(stop(10, Side::Buy, 101, 1, None)).unwrap();
        e.submit(stop(11, Side::Buy, 102, 1, None)).unwrap();
        assert_eq!(e.pending_stop_count(), 2);
        // Trade at 100 triggers nothing; 10 triggers when 101 prints, which triggers 11 at 102.
        e.submit(OrderRequest::market(4, Side::Buy, 1, 1)).unwrap();
        assert_eq!(e.pending_stop_count(), 2);
        e.submit(OrderRequest::market(5, Side::Buy, 1, 2)).unwrap();
        assert_eq!(e.pending_stop_count(), 0);
        let prices: Vec<_> = e.trades.iter().map(|t| (t.taker.0, t.price)).collect();
        assert_eq!(prices, vec![(4, 100), (5, 101), (10, 102)]);
        assert_eq!(kinds(&e, 11), vec![Accepted, Triggered, Canceled]);
    }

    #[test]
    fn sell_stops_at_one_price_trigger_in_arrival_order() {
        let mut e = MatchingEngine::new();
        e.submit(OrderRequest::limit(1, Side::Buy, 120, 5, 0))
            .unwrap();
        e.submit(OrderRequest::limit(2, Side::Sell, 150, 1, 0))
            .unwrap();
        e.submit(OrderRequest::market(3, Side::Buy, 1, 0)).unwrap();
        e.submit(stop(10, Side::Sell, 120, 1, None)).unwrap();
        e.submit(stop(11, Side::Sell, 120, 1, None)).unwrap();
        e.submit(OrderRequest::market(4, Side::Sell, 1, 0)).unwrap();
        let takers: Vec<_> = e.trades.iter().map(|t| t.taker.0).collect();
        assert_eq!(takers, vec![3, 4, 10, 11]);
    }

    #[test]
    fn a_sweep_through_a_stop_triggers_it_even_if_it_ends_beyond() {
        let mut e = MatchingEngine::new();
        e.submit(OrderRequest::limit(1, Side::Sell, 150, 1, 0))
            .unwrap();
        e.submit(OrderRequest::market(2, Side::Buy, 1, 0)).unwrap();
        e.submit(stop(10, Side::Sell, 101, 1, None)).unwrap();
        e.submit(OrderRequest::limit(3, Side::Buy, 90, 1, 0))
            .unwrap();
        e.submit(OrderRequest::limit(4, Side::Sell, 100, 1, 0))
            .unwrap();
        e.submit(OrderRequest::limit(5, Side::Sell, 102, 1, 0))
            .unwrap();
        e.submit(OrderRequest::market(6, Side::Buy, 2, 0)).unwrap();
        assert_eq!(e.last_trade_price(), Some(90));
        assert_eq!(kinds(&e, 10), vec![Accepted, Triggered, Filled]);
    }

    #[test]
    fn stop_limit_rests_as_limit_after_trigger() {
        let mut e = MatchingEngine::new();
        e.submit(OrderRequest::limit(1, Side::Buy, 99, 1, 0))
            .unwrap();
        e.submit(stop(2, Side::Sell, 99, 4, Some(98))).unwrap();
        e.submit(OrderRequest::market(3, Side::Sell, 1, 0)).unwrap();
        assert_eq!(kinds(&e, 2), vec![Accepted, Triggered]);
        assert_eq!(e.book().best_ask(), Some((98, 4)));
    }

    #[test]
    fn stop_already_reached_triggers_on_arrival() {
        let mut e = MatchingEngine::new();
        e.submit(OrderRequest::limit(1, Side::Sell, 100, 1, 0))
            .unwrap();
        e.submit(OrderRequest::limit(2, Side::Sell, 105, 3, 0))
            .unwrap();
        e.submit(OrderRequest::market(3, Side::Buy, 1, 0)).unwrap();
        e.submit(stop(4, Side::Buy, 90, 2, None)).unwrap();
        assert_eq!(kinds(&e, 4), vec![Accepted, Triggered, Filled]);
    }

    #[test]
    fn session_end_expires_day_orders_only() {
        let mut e = MatchingEngine::new();
        e.submit(OrderRequest::limit(1, Side::Buy, 99, 1, 0).with_tif(TimeInForce::Day))
            .unwrap();
        e.submit(OrderRequest::limit(2, Side::Buy, 98, 1, 0))
            .unwrap();
        e.submit(stop(3, Side::Buy, 150, 1, None).with_tif(TimeInForce::Day))
            .unwrap();
        e.session_end(7);
        assert_eq!(kinds(&e, 1), vec![Accepted, Expired]);
        assert_eq!(kinds(&e, 3), vec![Accepted, Expired]);
        assert_eq!(e.book().len(), 1);
        assert_eq!(e.pending_stop_count(), 0);
    }

    #[test]
    fn modify_size_down_keeps_priority_and_crossing_price_trades() {
        let mut e = MatchingEngine::new();
        e.submit(OrderRequest::limit(1, Side::Buy, 99, 5, 0))
            .unwrap();
        e.submit(OrderRequest::limit(2, Side::Buy, 99, 5, 0))
            .unwrap();
        e.modify(OrderId(1), 3, None, 1).unwrap();
        let queue: Vec<_> = e
            .book()
            .level_orders(Side::Buy, 99)
            .iter()
            .map(|o| o.id.0)
            .collect();
        assert_eq!(queue, vec![1, 2]);
        e.submit(OrderRequest::limit(3, Side::Sell, 101, 4, 2))
            .unwrap();
        e.modify(OrderId(2), 5, Some(101), 3).unwrap();
        assert_eq!(e.trades.len(), 1);
        assert_eq!(
            (e.trades[0].maker.0, e.trades[0].taker.0, e.trades[0].qty),
            (3, 2, 4)
        );
        assert_eq!(e.book().best_bid(), Some((101, 1)));
    }

    #[test]
    fn invalid_commands_change_nothing() {
        let mut e = MatchingEngine::new();
        e.submit(OrderRequest::limit(1, Side::Buy, 99, 5, 0))
            .unwrap();
        let before = (e.book().orders(), e.events.len());
        assert_eq!(
            e.submit(OrderRequest::limit(1, Side::Sell, 120, 1, 0)),
            Err(MatchError::DuplicateOrderId(OrderId(1)))
        );
        assert_eq!(
            e.submit(OrderRequest::limit(2, Side::Sell, 0, 1, 0)),
            Err(MatchError::InvalidPrice(0))
        );
        assert_eq!(
            e.submit(OrderRequest::limit(2, Side::Sell, 100, 0, 0)),
            Err(MatchError::InvalidQuantity(0))
        );
        let mut no_stop = stop(2, Side::Buy, 1, 1, None);
        no_stop.stop_price = None;
        assert_eq!(
            e.submit(no_stop),
            Err(MatchError::MissingStopPrice(OrderType::Stop))
        );
        assert_eq!(
            e.cancel(OrderId(9), 0),
            Err(MatchError::UnknownOrderId(OrderId(9)))
        );
        assert_eq!(
            e.modify(OrderId(1), 0, None, 0),
            Err(MatchError::InvalidQuantity(0))
        );
        assert_eq!(before, (e.book().orders(), e.events.len()));
    }
}
