//! An L3 limit order book with price-time priority.
//!
//! Invariants (checked by [`OrderBook::check_integrity`] in tests and property tests):
//! - every resting order is in exactly one price level and in the id index;
//! - a level's `qty` is the sum of its orders' quantities and `count` their number;
//! - levels hold orders in arrival order (FIFO) and no level is empty;
//! - the book itself never matches: [`OrderBook::add`] rests an order as given. Crossing is
//!   prevented by the caller (the [`crate::matching`] engine takes liquidity first).
//!
//! Shape: per side a [`Ladder`] — a sorted array of (price, level slot) with the best price at
//! the end, so the touch is read in O(1) and levels near it (where almost all activity is) are
//! inserted and removed by moving a few entries; each level is an intrusive doubly linked FIFO
//! of order slots in an arena with a free list; an id → slot hash map. Every node knows its
//! level slot, so cancel is O(1) whatever the queue depth: no scan of the level, and the ladder
//! is touched only when a level empties. A sorted array rather than a tick-indexed one because
//! replayed and user books have unbounded price ranges; rather than a `BTreeMap` because it is
//! contiguous (measured faster on the benchmark stream). Beside it, a direct-indexed window of
//! ticks around the best finds the level of a price near the touch in one read (see
//! `Ladder`). Nodes hold only what the hot paths touch (32 bytes); a node's price is its
//! level's and its timestamp sits in a separate array.

use thiserror::Error;

use crate::types::{OrderId, Price, Qty, Side, TimestampNs};

const NIL: u32 = u32::MAX;

/// Where a resting order lives in the book's arena; see [`OrderBook::slot_of`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slot(u32);

/// Why a book operation was refused. The book is unchanged after any error.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum BookError {
    #[error("order id {0} is already resting")]
    DuplicateOrderId(OrderId),
    #[error("order id {0} is not in the book")]
    UnknownOrderId(OrderId),
    #[error("quantity must be positive, got {0}")]
    InvalidQuantity(Qty),
    #[error("price must be positive, got {0} ticks")]
    InvalidPrice(Price),
    #[error("quantity overflow at price {0}")]
    Overflow(Price),
}

/// Order id → node slot: open addressing with linear probing in one flat array.
///
/// Why not `FxHashMap`: every operation on the hot path probes this index once or more, and
/// with ids in one 16-byte entry (key and slot side by side, four to a cache line) a probe is
/// one multiply and usually one cache line, where a SwissTable touches its control bytes and
/// then its buckets (measured faster on the benchmark stream). Fibonacci hashing spreads the
/// sequential ids callers typically use; removal shifts later entries back (no tombstones), so
/// probe runs stay short however long the book lives. Iteration order is never exposed.
#[derive(Debug, Clone, Default)]
struct IdIndex {
    /// Power-of-two length (or empty); an entry whose `slot` is [`NIL`] is free.
    entries: Vec<IdEntry>,
    len: usize,
    /// The most entries the table may hold (its load limit), kept with the table so that the
    /// check before each insertion is one comparison.
    max_len: usize,
    /// `64 - log2(entries.len())`: the hash keeps the top bits of the product.
    shift: u32,
}

#[derive(Debug, Clone, Copy)]
struct IdEntry {
    key: u64,
    slot: u32,
}

const FREE: IdEntry = IdEntry { key: 0, slot: NIL };

impl IdIndex {
    /// Entries are at most this many eighths of the table: short probe runs, small table.
    const MAX_LOAD_EIGHTHS: usize = 4;
    const MIN_CAPACITY: usize = 16;

    /// An index that holds `n` ids without growing.
    fn with_capacity(n: usize) -> Self {
        let mut index = IdIndex::default();
        if n > 0 {
            index.rebuild(Self::capacity_for(n));
        }
        index
    }

    fn capacity_for(n: usize) -> usize {
        (n * 8)
            .div_ceil(Self::MAX_LOAD_EIGHTHS)
            .next_power_of_two()
            .max(Self::MIN_CAPACITY)
    }

    #[inline]
    fn len(&self) -> usize {
        self.len
    }

    #[inline]
    fn home(&self, key: u64) -> usize {
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    /// The table position holding `key`, if any.
    #[inline(always)]
    fn position(&self, key: OrderId) -> Option<usize> {
        // An empty (unallocated) table fails the bounds check of the first read: no extra test.
        let mask = self.entries.len().wrapping_sub(1);
        let mut i = self.home(key.0);
        loop {
            let e = *self.entries.get(i & mask)?;
            if e.slot == NIL {
                return None;
            }
            if e.key == key.0 {
                return Some(i & mask);
            }
            i += 1;
        }
    }

    #[inline]
    fn get(&self, key: OrderId) -> Option<u32> {
        self.position(key).map(|i| self.entries[i].slot)
    }

    #[inline]
    fn contains(&self, key: OrderId) -> bool {
        self.position(key).is_some()
    }

    /// The free table position where `key` would go, or `None` when `key` is present: one
    /// probe serves both the duplicate check and the insertion ([`IdIndex::fill`]). Grows the
    /// table first if one more entry would pass the load limit, so the position stays valid
    /// until the next change to the index.
    #[inline(always)]
    fn vacancy(&mut self, key: OrderId) -> Option<usize> {
        if self.len >= self.max_len {
            self.rebuild(Self::capacity_for(self.len + 1).max(self.entries.len() * 2));
        }
        let mask = self.entries.len() - 1;
        let mut i = self.home(key.0) & mask;
        loop {
            let e = self.entries[i];
            if e.slot == NIL {
                return Some(i);
            }
            if e.key == key.0 {
                return None;
            }
            i = (i + 1) & mask;
        }
    }

    /// Stores `key` at a position from [`IdIndex::vacancy`] with no index change since.
    #[inline(always)]
    fn fill(&mut self, position: usize, key: OrderId, slot: u32) {
        debug_assert!(self.entries[position].slot == NIL && slot != NIL);
        self.entries[position] = IdEntry { key: key.0, slot };
        self.len += 1;
    }

    /// Adds `key`, which must be absent.
    #[inline]
    fn insert(&mut self, key: OrderId, slot: u32) {
        debug_assert!(!self.contains(key) && slot != NIL);
        if self.len >= self.max_len {
            self.rebuild(Self::capacity_for(self.len + 1).max(self.entries.len() * 2));
        }
        let mask = self.entries.len() - 1;
        let mut i = self.home(key.0) & mask;
        while self.entries[i].slot != NIL {
            i = (i + 1) & mask;
        }
        self.entries[i] = IdEntry { key: key.0, slot };
        self.len += 1;
    }

    /// Removes `key` and returns its slot. Later entries of the probe run move back into the
    /// hole when that keeps them reachable from their home position.
    #[inline(always)]
    fn remove(&mut self, key: OrderId) -> Option<u32> {
        let found = self.position(key)?;
        let slot = self.entries[found].slot;
        let mask = self.entries.len() - 1;
        let (mut hole, mut j) = (found, found);
        loop {
            j = (j + 1) & mask;
            let e = self.entries[j];
            if e.slot == NIL {
                break;
            }
            let home = self.home(e.key) & mask;
            if j.wrapping_sub(home) & mask >= j.wrapping_sub(hole) & mask {
                self.entries[hole] = e;
                hole = j;
            }
        }
        self.entries[hole] = FREE;
        self.len -= 1;
        Some(slot)
    }

    fn clear(&mut self) {
        self.entries.fill(FREE);
        self.len = 0;
    }

    /// Moves every entry into a fresh table of `capacity` (a power of two).
    fn rebuild(&mut self, capacity: usize) {
        let old = std::mem::replace(&mut self.entries, vec![FREE; capacity]);
        self.shift = 64 - capacity.trailing_zeros();
        self.max_len = capacity * Self::MAX_LOAD_EIGHTHS / 8;
        self.len = 0;
        for e in old.into_iter().filter(|e| e.slot != NIL) {
            self.insert(OrderId(e.key), e.slot);
        }
    }
}

/// A resting order as the book sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestingOrder {
    pub id: OrderId,
    pub side: Side,
    pub price: Price,
    pub qty: Qty,
    pub ts: TimestampNs,
    /// Caller-defined tag carried with the order (the matching engine stores time in force).
    pub tag: u8,
}

/// One aggregated price level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelView {
    pub price: Price,
    pub qty: Qty,
    pub count: u32,
}

/// A fill produced by taking liquidity from the book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookFill {
    pub maker: OrderId,
    pub price: Price,
    pub qty: Qty,
    /// The maker's quantity left after this fill (0: it left the book).
    pub maker_leaves: Qty,
}

/// A resting order's queue node: only what matching, cancels and modifies touch, in 32 bytes
/// (two to a cache line, where the whole order took 56). The price is its level's; the
/// timestamp, read only when a whole order is reported, lives in [`OrderBook::times`].
#[derive(Debug, Clone, Copy)]
struct Node {
    id: OrderId,
    qty: Qty,
    level: u32,
    prev: u32,
    next: u32,
    side: Side,
    tag: u8,
}

#[derive(Debug, Clone, Copy)]
struct Level {
    price: Price,
    qty: Qty,
    count: u32,
    head: u32,
    tail: u32,
}

/// One side's occupied prices, sorted so that the best price is last. Prices are stored as
/// keys that grow toward the best: the price for bids, its negation for asks.
///
/// Beside the sorted array, a window of [`Ladder::WINDOW`] keys centred on the best (orders
/// rest behind it, and the best moves both ways) maps a key straight to its level slot: the
/// level of a price near the touch, which nearly every add, re-price and level check looks up,
/// is one array read instead of a scan whose length varies and so defeats branch prediction. The window is a cache kept
/// in step with the sorted array (the sorted array stays the truth for order, best and worst);
/// it re-centres on the best when the best drifts toward its edges. Keys outside it (far
/// levels, wide-spaced tick grids) take the sorted search as before.
#[derive(Debug, Clone)]
struct Ladder {
    sign: i64,
    keys: Vec<i64>,
    slots: Vec<u32>,
    /// Key of `window[0]`.
    base: i64,
    /// Level slot per key in `base..base + WINDOW`, [`NIL`] where no level is.
    window: Vec<u32>,
}

impl Ladder {
    /// Keys the direct window covers (a power of two): 2048 ticks, 8 KiB per side.
    const WINDOW: usize = 2048;
    /// Where the best key sits after a re-centre: the middle, so that the best can move a
    /// quarter of the window either way (several levels even on coarse grids such as
    /// LOBSTER's, where levels are 100 ticks apart) before the next re-centre.
    const BEST_AT: i64 = (Self::WINDOW / 2) as i64;

    fn new(side: Side) -> Self {
        Ladder {
            sign: if side == Side::Buy { 1 } else { -1 },
            keys: Vec::new(),
            slots: Vec::new(),
            base: 0,
            window: Vec::new(),
        }
    }

    #[inline]
    fn len(&self) -> usize {
        self.keys.len()
    }

    /// Position of `price` in the sorted array, or where it would go; looks at the top few
    /// levels first.
    #[inline]
    fn find(&self, price: Price) -> Result<usize, usize> {
        let key = price * self.sign;
        let n = self.keys.len();
        let near = n.saturating_sub(8);
        for i in (near..n).rev() {
            let k = self.keys[i];
            if k == key {
                return Ok(i);
            }
            if k < key {
                return Err(i + 1);
            }
        }
        self.keys[..near].binary_search(&key)
    }

    /// The window index of `price`, if the window covers it.
    #[inline(always)]
    fn window_index(&self, price: Price) -> Option<usize> {
        let offset = (price * self.sign).wrapping_sub(self.base) as u64;
        (offset < self.window.len() as u64).then_some(offset as usize)
    }

    /// The level slot at `price`, if a level is there.
    #[inline(always)]
    fn get(&self, price: Price) -> Option<u32> {
        match self.window_index(price) {
            Some(w) => {
                let slot = self.window[w];
                (slot != NIL).then_some(slot)
            }
            None => self.find(price).ok().map(|i| self.slots[i]),
        }
    }

    /// Adds a level at `price`, which must have none.
    #[inline]
    fn insert(&mut self, price: Price, slot: u32) {
        let Err(i) = self.find(price) else {
            unreachable!("a level already rests at {price}")
        };
        self.keys.insert(i, price * self.sign);
        self.slots.insert(i, slot);
        if let Some(w) = self.window_index(price) {
            self.window[w] = slot;
        }
        if i + 1 == self.keys.len() {
            self.recentre_if_needed();
        }
    }

    /// Drops the level at `price`, if any.
    #[inline]
    fn remove(&mut self, price: Price) {
        if let Ok(i) = self.find(price) {
            self.keys.remove(i);
            self.slots.remove(i);
            if let Some(w) = self.window_index(price) {
                self.window[w] = NIL;
            }
            if i == self.keys.len() {
                self.recentre_if_needed();
            }
        }
    }

    /// Called when the best changed: moves the window when the best has left its middle half
    /// (hysteresis, so a best moving to and fro does not rebuild it every time).
    #[inline]
    fn recentre_if_needed(&mut self) {
        let Some(&best) = self.keys.last() else {
            return;
        };
        let offset = best.wrapping_sub(self.base);
        let w = Self::WINDOW as i64;
        if self.window.is_empty() || !(w / 4..w - w / 4).contains(&offset) {
            self.recentre(best);
        }
    }

    /// Rebuilds the window around `best`: O(window + levels), rare.
    #[inline(never)]
    fn recentre(&mut self, best: i64) {
        self.base = best.saturating_sub(Self::BEST_AT);
        self.window.clear();
        self.window.resize(Self::WINDOW, NIL);
        let start = self.keys.partition_point(|&k| k < self.base);
        for (&k, &slot) in self.keys[start..].iter().zip(&self.slots[start..]) {
            let offset = k.wrapping_sub(self.base) as u64;
            if offset < Self::WINDOW as u64 {
                self.window[offset as usize] = slot;
            }
        }
    }

    #[inline]
    fn best(&self) -> Option<(Price, u32)> {
        let i = self.keys.len().checked_sub(1)?;
        Some((self.keys[i] * self.sign, self.slots[i]))
    }

    #[inline]
    fn worst(&self) -> Option<(Price, u32)> {
        Some((*self.keys.first()? * self.sign, self.slots[0]))
    }

    /// (price, slot) pairs, best first.
    fn iter_best_first(&self) -> impl Iterator<Item = (Price, u32)> + '_ {
        self.keys
            .iter()
            .zip(&self.slots)
            .rev()
            .map(|(&k, &s)| (k * self.sign, s))
    }

    /// True when the window agrees with the sorted array (for integrity checks).
    fn window_consistent(&self) -> bool {
        self.window.iter().enumerate().all(|(w, &slot)| {
            let key = self.base + w as i64;
            let want = self.keys.binary_search(&key).ok().map(|i| self.slots[i]);
            want == (slot != NIL).then_some(slot)
        })
    }

    fn clear(&mut self) {
        self.keys.clear();
        self.slots.clear();
        self.window.clear();
    }
}

/// The book. See the module docs for the invariants.
#[derive(Debug, Clone)]
pub struct OrderBook {
    nodes: Vec<Node>,
    /// Each node's order timestamp, by node slot: cold data kept out of the nodes.
    times: Vec<TimestampNs>,
    free_nodes: Vec<u32>,
    levels: Vec<Level>,
    free_levels: Vec<u32>,
    index: IdIndex,
    bids: Ladder,
    asks: Ladder,
}

impl Default for OrderBook {
    fn default() -> Self {
        OrderBook {
            nodes: Vec::new(),
            times: Vec::new(),
            free_nodes: Vec::new(),
            levels: Vec::new(),
            free_levels: Vec::new(),
            index: IdIndex::default(),
            bids: Ladder::new(Side::Buy),
            asks: Ladder::new(Side::Sell),
        }
    }
}

impl OrderBook {
    /// An empty book.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty book with room for `orders` resting orders before reallocating. Size it for
    /// the orders resting at once, not the operations to come: an index reserved far beyond
    /// the live set spreads it over many more cache lines and slows every lookup (measured:
    /// ~25% on the benchmark stream).
    pub fn with_capacity(orders: usize) -> Self {
        OrderBook {
            nodes: Vec::with_capacity(orders),
            times: Vec::with_capacity(orders),
            index: IdIndex::with_capacity(orders),
            ..Self::default()
        }
    }

    /// Number of resting orders.
    #[inline]
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// True when no order rests.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.index.len() == 0
    }

    /// True when `id` rests in the book.
    #[inline]
    pub fn contains(&self, id: OrderId) -> bool {
        self.index.contains(id)
    }

    /// Best (highest) bid as (price, aggregated qty).
    #[inline]
    pub fn best_bid(&self) -> Option<(Price, Qty)> {
        self.bids
            .best()
            .map(|(p, l)| (p, self.levels[l as usize].qty))
    }

    /// Best (lowest) ask as (price, aggregated qty).
    #[inline]
    pub fn best_ask(&self) -> Option<(Price, Qty)> {
        self.asks
            .best()
            .map(|(p, l)| (p, self.levels[l as usize].qty))
    }

    /// Best price on `side`.
    #[inline]
    pub fn best_price(&self, side: Side) -> Option<Price> {
        self.side_map(side).best().map(|(p, _)| p)
    }

    /// Worst (deepest) price on `side`.
    #[inline]
    pub fn worst_price(&self, side: Side) -> Option<Price> {
        self.side_map(side).worst().map(|(p, _)| p)
    }

    /// Number of occupied price levels on `side`.
    pub fn level_count(&self, side: Side) -> usize {
        self.side_map(side).len()
    }

    /// The resting order `id`, if any.
    pub fn order(&self, id: OrderId) -> Option<RestingOrder> {
        self.index.get(id).map(|n| self.resting(n))
    }

    /// Position of `id` in its level's queue (0 = first to fill) and the quantity ahead of it.
    pub fn queue_position(&self, id: OrderId) -> Option<(usize, Qty)> {
        let slot = self.index.get(id)?;
        let mut ahead = 0usize;
        let mut qty_ahead: Qty = 0;
        let mut cur = self.nodes[slot as usize].prev;
        while cur != NIL {
            ahead += 1;
            qty_ahead += self.nodes[cur as usize].qty;
            cur = self.nodes[cur as usize].prev;
        }
        Some((ahead, qty_ahead))
    }

    /// Top `n` levels of `side`, best first.
    pub fn depth(&self, side: Side, n: usize) -> Vec<LevelView> {
        let mut out = Vec::with_capacity(n.min(self.side_map(side).len()));
        self.depth_into(side, n, &mut out);
        out
    }

    /// Top `n` levels of `side`, best first, appended to `out` (allocation-free replay).
    pub fn depth_into(&self, side: Side, n: usize, out: &mut Vec<LevelView>) {
        out.extend(self.side_map(side).iter_best_first().take(n).map(|(_, l)| {
            let lv = &self.levels[l as usize];
            LevelView {
                price: lv.price,
                qty: lv.qty,
                count: lv.count,
            }
        }));
    }

    /// The orders at one price level in queue order.
    pub fn level_orders(&self, side: Side, price: Price) -> Vec<RestingOrder> {
        let mut out = Vec::new();
        if let Some(l) = self.side_map(side).get(price) {
            let mut cur = self.levels[l as usize].head;
            while cur != NIL {
                out.push(self.resting(cur));
                cur = self.nodes[cur as usize].next;
            }
        }
        out
    }

    /// Every resting order, bids best-first then asks best-first, each level in queue order.
    pub fn orders(&self) -> Vec<RestingOrder> {
        let mut out = Vec::with_capacity(self.len());
        let levels = self
            .bids
            .iter_best_first()
            .chain(self.asks.iter_best_first());
        for (_, l) in levels {
            let mut cur = self.levels[l as usize].head;
            while cur != NIL {
                out.push(self.resting(cur));
                cur = self.nodes[cur as usize].next;
            }
        }
        out
    }

    /// Rests an order at the tail of its price level. Does not match.
    pub fn add(&mut self, order: RestingOrder) -> Result<(), BookError> {
        if order.qty == 0 {
            return Err(BookError::InvalidQuantity(order.qty));
        }
        if order.price <= 0 {
            return Err(BookError::InvalidPrice(order.price));
        }
        self.add_unique(order)
    }

    /// Rests an order (quantity and price already validated) unless its id already rests. One
    /// index probe checks the id and finds its entry's place, where [`OrderBook::contains`]
    /// then [`OrderBook::add_new`] would probe twice: this is the path of every passive order.
    #[inline(always)]
    pub(crate) fn add_unique(&mut self, order: RestingOrder) -> Result<(), BookError> {
        let Some(entry) = self.index.vacancy(order.id) else {
            return Err(BookError::DuplicateOrderId(order.id));
        };
        let slot = self.link_new(order)?;
        self.index.fill(entry, order.id, slot);
        Ok(())
    }

    /// [`OrderBook::add`] for a caller that has already checked the id is not resting (the
    /// matching engine checks before it matches): one hash probe fewer on the hot path.
    pub(crate) fn add_new(&mut self, order: RestingOrder) -> Result<(), BookError> {
        debug_assert!(!self.index.contains(order.id));
        let slot = self.link_new(order)?;
        self.index.insert(order.id, slot);
        Ok(())
    }

    /// Puts a new order's node at the back of its level (created if needed) and returns its
    /// slot; the caller indexes it. Fails, changing nothing, if the level's total would overflow.
    #[inline(always)]
    fn link_new(&mut self, order: RestingOrder) -> Result<u32, BookError> {
        let existing = self.side_map(order.side).get(order.price);
        // An existing level is unchanged by `level_at`; a new one cannot overflow.
        let level = self.level_at(order.side, order.price, existing);
        let free = self.free_nodes.pop();
        let slot = free.unwrap_or(self.nodes.len() as u32);
        // The level is read and updated once, and the node written once, with its link to
        // the old tail already in it.
        let lv = &mut self.levels[level as usize];
        let Some(total) = lv.qty.checked_add(order.qty) else {
            // Nothing has changed but the free list, which gets its slot back.
            self.free_nodes.extend(free);
            return Err(BookError::Overflow(order.price));
        };
        let tail = lv.tail;
        lv.tail = slot;
        if tail == NIL {
            lv.head = slot;
        }
        lv.qty = total;
        lv.count += 1;
        let node = Node {
            id: order.id,
            qty: order.qty,
            level,
            prev: tail,
            next: NIL,
            side: order.side,
            tag: order.tag,
        };
        if free.is_some() {
            self.nodes[slot as usize] = node;
            self.times[slot as usize] = order.ts;
        } else {
            self.nodes.push(node);
            self.times.push(order.ts);
        }
        if tail != NIL {
            self.nodes[tail as usize].next = slot;
        }
        Ok(slot)
    }

    /// Removes a resting order and returns it.
    pub fn cancel(&mut self, id: OrderId) -> Result<RestingOrder, BookError> {
        let slot = self.index.remove(id).ok_or(BookError::UnknownOrderId(id))?;
        let order = self.resting(slot);
        self.remove_slot(slot);
        Ok(order)
    }

    /// [`OrderBook::cancel`] for the matching engine, which reports only the quantity removed:
    /// the order's price and timestamp are not gathered (one cache line fewer per cancel).
    #[inline(always)]
    pub(crate) fn withdraw(&mut self, id: OrderId) -> Option<Qty> {
        let slot = self.index.remove(id)?;
        let qty = self.nodes[slot as usize].qty;
        self.remove_slot(slot);
        Some(qty)
    }

    /// Where resting order `id` lives, for callers that read and then change it: one index
    /// probe serves [`OrderBook::placement_at`], [`OrderBook::modify_at`],
    /// [`OrderBook::reduce_at`] and [`OrderBook::cancel_at`]. Valid until the next change to
    /// the book.
    #[inline]
    pub(crate) fn slot_of(&self, id: OrderId) -> Option<Slot> {
        self.index.get(id).map(Slot)
    }

    /// The whole order at a node slot, assembled from the node, its level and its timestamp.
    #[inline(always)]
    fn resting(&self, slot: u32) -> RestingOrder {
        let node = &self.nodes[slot as usize];
        RestingOrder {
            id: node.id,
            side: node.side,
            price: self.levels[node.level as usize].price,
            qty: node.qty,
            ts: self.times[slot as usize],
            tag: node.tag,
        }
    }

    /// [`OrderBook::cancel`] of the order at a slot from [`OrderBook::slot_of`].
    pub(crate) fn cancel_at(&mut self, slot: Slot) -> RestingOrder {
        let order = self.resting(slot.0);
        self.index.remove(order.id);
        self.remove_slot(slot.0);
        order
    }

    /// Side, price and quantity of the order at a slot from [`OrderBook::slot_of`]: what a
    /// replay checks before it reduces an order and the engine before it modifies one, without
    /// the timestamp that [`OrderBook::order`] also fetches from its separate array.
    #[inline]
    pub(crate) fn placement_at(&self, slot: Slot) -> (Side, Price, Qty) {
        let node = &self.nodes[slot.0 as usize];
        (node.side, self.levels[node.level as usize].price, node.qty)
    }

    /// Reduces a resting order by `by` lots, keeping its queue position (a partial cancel or an
    /// execution reported from outside). Returns the quantity left; at 0 the order leaves the book.
    pub fn reduce(&mut self, id: OrderId, by: Qty) -> Result<Qty, BookError> {
        if by == 0 {
            return Err(BookError::InvalidQuantity(by));
        }
        let slot = self.slot_of(id).ok_or(BookError::UnknownOrderId(id))?;
        Ok(self.reduce_at(slot, by))
    }

    /// [`OrderBook::reduce`] of the order at a slot from [`OrderBook::slot_of`], with `by` > 0:
    /// a caller that has just looked the order up saves the second index probe.
    pub(crate) fn reduce_at(&mut self, slot: Slot, by: Qty) -> Qty {
        debug_assert!(by > 0);
        let slot = slot.0;
        let node = self.nodes[slot as usize];
        if by >= node.qty {
            self.index.remove(node.id);
            self.remove_slot(slot);
            return 0;
        }
        self.nodes[slot as usize].qty -= by;
        self.levels[node.level as usize].qty -= by;
        node.qty - by
    }

    /// Removes every order at `price` on `side`, front of the queue first (the order and the
    /// freed slots of cancelling them one by one), and returns how many. For a replay dropping
    /// a level it no longer tracks: no list of whole orders is built only to cancel them.
    pub fn remove_level(&mut self, side: Side, price: Price) -> usize {
        let Some(l) = self.side_map(side).get(price) else {
            return 0;
        };
        let count = self.levels[l as usize].count as usize;
        for _ in 0..count {
            let head = self.levels[l as usize].head;
            self.index.remove(self.nodes[head as usize].id);
            self.remove_slot(head);
        }
        count
    }

    /// Changes an order's price and/or quantity. Same price and a smaller quantity keeps queue
    /// priority; a price change or a larger quantity sends it to the back of its (new) level.
    /// Does not match: the caller makes sure a new price does not cross.
    pub fn modify(
        &mut self,
        id: OrderId,
        new_price: Price,
        new_qty: Qty,
        ts: TimestampNs,
    ) -> Result<(), BookError> {
        if new_qty == 0 {
            return Err(BookError::InvalidQuantity(new_qty));
        }
        if new_price <= 0 {
            return Err(BookError::InvalidPrice(new_price));
        }
        let slot = self.slot_of(id).ok_or(BookError::UnknownOrderId(id))?;
        self.modify_at(slot, new_price, new_qty, ts)
    }

    /// [`OrderBook::modify`] of the order at a slot from [`OrderBook::slot_of`], with
    /// `new_price` and `new_qty` already validated (> 0). A re-priced order keeps its node and
    /// index entry and is only relinked: no hash probes, and the same slots as a cancel and
    /// re-add would use. Inlined into the engine's modify, one of its hottest commands.
    #[inline(always)]
    pub(crate) fn modify_at(
        &mut self,
        slot: Slot,
        new_price: Price,
        new_qty: Qty,
        ts: TimestampNs,
    ) -> Result<(), BookError> {
        let slot = slot.0;
        let node = self.nodes[slot as usize];
        let old_price = self.levels[node.level as usize].price;
        if new_price == old_price && new_qty <= node.qty {
            let by = node.qty - new_qty;
            self.nodes[slot as usize].qty = new_qty;
            self.levels[node.level as usize].qty -= by;
            return Ok(());
        }
        // Check the re-add cannot overflow before touching anything.
        let target_level_qty = self
            .side_map(node.side)
            .get(new_price)
            .map(|l| self.levels[l as usize].qty)
            .unwrap_or(0);
        let after_removal = if new_price == old_price {
            target_level_qty - node.qty
        } else {
            target_level_qty
        };
        if after_removal.checked_add(new_qty).is_none() {
            return Err(BookError::Overflow(new_price));
        }
        self.unlink(slot);
        let existing = self.side_map(node.side).get(new_price);
        let level = self.level_at(node.side, new_price, existing);
        let node = &mut self.nodes[slot as usize];
        node.qty = new_qty;
        node.level = level;
        node.next = NIL;
        self.times[slot as usize] = ts;
        self.push_back(level, slot);
        Ok(())
    }

    /// Liquidity on `side` at prices no worse than `limit` for a taker (asks ≤ limit for a buy
    /// taker, bids ≥ limit for a sell taker), counting at most up to `want`.
    pub fn available(&self, side: Side, limit: Option<Price>, want: Qty) -> Qty {
        let mut total: Qty = 0;
        let mut take = |lv: &Level| {
            total = total.saturating_add(lv.qty);
            total >= want
        };
        for (p, l) in self.side_map(side).iter_best_first() {
            let beyond = match (side, limit) {
                (_, None) => false,
                (Side::Sell, Some(lim)) => p > lim,
                (Side::Buy, Some(lim)) => p < lim,
            };
            if beyond || take(&self.levels[l as usize]) {
                break;
            }
        }
        total.min(want)
    }

    /// Takes up to `qty` from the resting `side` (the side opposite the taker), best price first
    /// and FIFO within a level, stopping at `limit` (None: any price). Calls `on_fill` per maker
    /// fill and returns the quantity filled.
    pub fn take(
        &mut self,
        side: Side,
        limit: Option<Price>,
        mut qty: Qty,
        mut on_fill: impl FnMut(BookFill),
    ) -> Qty {
        let start = qty;
        while qty > 0 {
            let Some((price, l)) = self.side_map(side).best() else {
                break;
            };
            let crosses = match (side, limit) {
                (_, None) => true,
                (Side::Sell, Some(lim)) => price <= lim,
                (Side::Buy, Some(lim)) => price >= lim,
            };
            if !crosses {
                break;
            }
            while qty > 0 {
                let head = self.levels[l as usize].head;
                if head == NIL {
                    break;
                }
                let maker = self.nodes[head as usize];
                let fill = qty.min(maker.qty);
                qty -= fill;
                let leaves = maker.qty - fill;
                if leaves == 0 {
                    self.index.remove(maker.id);
                    let level_emptied = self.levels[l as usize].count == 1;
                    self.remove_slot(head);
                    on_fill(BookFill {
                        maker: maker.id,
                        price,
                        qty: fill,
                        maker_leaves: 0,
                    });
                    if level_emptied {
                        break;
                    }
                } else {
                    self.nodes[head as usize].qty = leaves;
                    self.levels[l as usize].qty -= fill;
                    on_fill(BookFill {
                        maker: maker.id,
                        price,
                        qty: fill,
                        maker_leaves: leaves,
                    });
                }
            }
        }
        start - qty
    }

    /// Removes every order. Keeps allocated capacity.
    pub fn clear(&mut self) {
        self.nodes.clear();
        self.times.clear();
        self.free_nodes.clear();
        self.levels.clear();
        self.free_levels.clear();
        self.index.clear();
        self.bids.clear();
        self.asks.clear();
    }

    /// Verifies every invariant in the module docs; returns a description of the first breach.
    pub fn check_integrity(&self) -> Result<(), String> {
        if let (Some((bid, _)), Some((ask, _))) = (self.best_bid(), self.best_ask()) {
            if bid >= ask {
                return Err(format!("book crossed: bid {bid} >= ask {ask}"));
            }
        }
        let mut seen = 0usize;
        for (side, ladder) in [(Side::Buy, &self.bids), (Side::Sell, &self.asks)] {
            if ladder.keys.windows(2).any(|w| w[0] >= w[1])
                || ladder.keys.len() != ladder.slots.len()
                || !ladder.window_consistent()
            {
                return Err(format!("{side:?} ladder is not strictly sorted"));
            }
            for (price, l) in ladder.iter_best_first() {
                let lv = &self.levels[l as usize];
                if lv.price != price {
                    return Err(format!(
                        "level slot {l} holds price {} not {price}",
                        lv.price
                    ));
                }
                let (mut qty, mut count, mut cur, mut prev) = (0u64, 0u32, lv.head, NIL);
                while cur != NIL {
                    let node = &self.nodes[cur as usize];
                    if node.prev != prev || node.level != l {
                        return Err(format!("broken links at order {}", node.id));
                    }
                    if node.side != side || node.qty == 0 {
                        return Err(format!("order {} misplaced", node.id));
                    }
                    if self.index.get(node.id) != Some(cur) {
                        return Err(format!("order {} missing from index", node.id));
                    }
                    qty += node.qty;
                    count += 1;
                    prev = cur;
                    cur = node.next;
                }
                if prev != lv.tail || count == 0 || count != lv.count || qty != lv.qty {
                    return Err(format!(
                        "level {price}: qty {} count {} but orders sum to {qty} in {count}",
                        lv.qty, lv.count
                    ));
                }
                seen += count as usize;
            }
        }
        if seen != self.index.len() {
            return Err(format!(
                "{} indexed orders but {seen} in levels",
                self.index.len()
            ));
        }
        Ok(())
    }

    #[inline]
    fn side_map(&self, side: Side) -> &Ladder {
        match side {
            Side::Buy => &self.bids,
            Side::Sell => &self.asks,
        }
    }

    #[inline]
    fn side_map_mut(&mut self, side: Side) -> &mut Ladder {
        match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        }
    }

    #[inline(always)]
    fn alloc_level(&mut self, price: Price) -> u32 {
        let level = Level {
            price,
            qty: 0,
            count: 0,
            head: NIL,
            tail: NIL,
        };
        match self.free_levels.pop() {
            Some(slot) => {
                self.levels[slot as usize] = level;
                slot
            }
            None => {
                self.levels.push(level);
                (self.levels.len() - 1) as u32
            }
        }
    }

    #[inline(always)]
    fn push_back(&mut self, l: u32, slot: u32) {
        let level = &mut self.levels[l as usize];
        let tail = level.tail;
        level.tail = slot;
        if tail == NIL {
            level.head = slot;
        }
        level.qty += self.nodes[slot as usize].qty;
        level.count += 1;
        self.nodes[slot as usize].prev = tail;
        if tail != NIL {
            self.nodes[tail as usize].next = slot;
        }
    }

    /// The level at `price` on `side` given what [`Ladder::get`] found there, created when
    /// absent.
    #[inline(always)]
    fn level_at(&mut self, side: Side, price: Price, existing: Option<u32>) -> u32 {
        match existing {
            Some(l) => l,
            None => {
                let l = self.alloc_level(price);
                self.side_map_mut(side).insert(price, l);
                l
            }
        }
    }

    /// Unlinks a node (already removed from the index) and frees it; drops an emptied level.
    #[inline(always)]
    fn remove_slot(&mut self, slot: u32) {
        self.unlink(slot);
        self.free_nodes.push(slot);
    }

    /// Takes a node out of its level's queue, dropping the level if it empties. The node and
    /// its index entry stay: the caller frees or relinks it.
    #[inline(always)]
    fn unlink(&mut self, slot: u32) {
        let node = self.nodes[slot as usize];
        if node.prev != NIL {
            self.nodes[node.prev as usize].next = node.next;
        }
        if node.next != NIL {
            self.nodes[node.next as usize].prev = node.prev;
        }
        let level = &mut self.levels[node.level as usize];
        if level.head == slot {
            level.head = node.next;
        }
        if level.tail == slot {
            level.tail = node.prev;
        }
        level.qty -= node.qty;
        level.count -= 1;
        if level.count == 0 {
            let price = level.price;
            self.side_map_mut(node.side).remove(price);
            self.free_levels.push(node.level);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(id: u64, side: Side, price: Price, qty: Qty) -> RestingOrder {
        RestingOrder {
            id: OrderId(id),
            side,
            price,
            qty,
            ts: id as i64,
            tag: 0,
        }
    }

    fn ids(orders: &[RestingOrder]) -> Vec<u64> {
        orders.iter().map(|o| o.id.0).collect()
    }

    #[test]
    fn remove_level_matches_cancelling_its_orders_one_by_one() {
        let mut a = OrderBook::new();
        for (id, price) in [(1, 100), (2, 101), (3, 100), (4, 99), (5, 100)] {
            a.add(order(id, Side::Buy, price, id)).unwrap();
        }
        let mut b = a.clone();
        assert_eq!(a.remove_level(Side::Buy, 100), 3);
        assert_eq!(a.remove_level(Side::Buy, 100), 0);
        for o in b.level_orders(Side::Buy, 100) {
            b.cancel(o.id).unwrap();
        }
        a.check_integrity().unwrap();
        assert_eq!(a.orders(), b.orders());
        // The same slots were freed in the same order: later adds land alike.
        for book in [&mut a, &mut b] {
            book.add(order(6, Side::Buy, 98, 1)).unwrap();
            book.add(order(7, Side::Buy, 100, 1)).unwrap();
        }
        assert_eq!(a.slot_of(OrderId(6)), b.slot_of(OrderId(6)));
        assert_eq!(a.slot_of(OrderId(7)), b.slot_of(OrderId(7)));
    }

    #[test]
    fn reduce_at_is_reduce_after_one_lookup() {
        let mut book = OrderBook::new();
        book.add(order(1, Side::Sell, 105, 5)).unwrap();
        book.add(order(2, Side::Sell, 105, 2)).unwrap();
        let slot = book.slot_of(OrderId(1)).unwrap();
        assert_eq!(book.placement_at(slot), (Side::Sell, 105, 5));
        assert_eq!(book.reduce_at(slot, 3), 2);
        assert_eq!(book.best_ask(), Some((105, 4)));
        let slot = book.slot_of(OrderId(2)).unwrap();
        assert_eq!(book.reduce_at(slot, 9), 0);
        assert!(!book.contains(OrderId(2)));
        assert_eq!(
            book.reduce(OrderId(1), 0),
            Err(BookError::InvalidQuantity(0))
        );
        assert_eq!(book.reduce(OrderId(1), 2), Ok(0));
        assert!(book.is_empty());
        book.check_integrity().unwrap();
    }

    #[test]
    fn two_resting_orders_stacked_keep_arrival_order() {
        let mut book = OrderBook::new();
        book.add(order(1, Side::Buy, 100, 5)).unwrap();
        book.add(order(2, Side::Buy, 100, 7)).unwrap();
        assert_eq!(book.best_bid(), Some((100, 12)));
        assert_eq!(ids(&book.level_orders(Side::Buy, 100)), vec![1, 2]);
        assert_eq!(book.queue_position(OrderId(2)), Some((1, 5)));
        book.check_integrity().unwrap();
    }

    #[test]
    fn depth_is_best_first_on_both_sides() {
        let mut book = OrderBook::new();
        for (id, p) in [(1, 99), (2, 101), (3, 100)] {
            book.add(order(id, Side::Buy, p, 1)).unwrap();
        }
        for (id, p) in [(4, 105), (5, 103), (6, 104)] {
            book.add(order(id, Side::Sell, p, 2)).unwrap();
        }
        let bids: Vec<_> = book.depth(Side::Buy, 2).iter().map(|l| l.price).collect();
        let asks: Vec<_> = book.depth(Side::Sell, 5).iter().map(|l| l.price).collect();
        assert_eq!(bids, vec![101, 100]);
        assert_eq!(asks, vec![103, 104, 105]);
        assert_eq!(book.best_ask(), Some((103, 2)));
    }

    #[test]
    fn cancel_from_middle_of_level_keeps_others_in_order() {
        let mut book = OrderBook::new();
        for id in 1..=3 {
            book.add(order(id, Side::Sell, 50, id)).unwrap();
        }
        let removed = book.cancel(OrderId(2)).unwrap();
        assert_eq!(removed.qty, 2);
        assert_eq!(ids(&book.level_orders(Side::Sell, 50)), vec![1, 3]);
        assert_eq!(book.best_ask(), Some((50, 4)));
        book.cancel(OrderId(1)).unwrap();
        book.cancel(OrderId(3)).unwrap();
        assert_eq!(book.best_ask(), None);
        assert!(book.is_empty());
        book.check_integrity().unwrap();
    }

    #[test]
    fn errors_leave_the_book_unchanged() {
        let mut book = OrderBook::new();
        book.add(order(1, Side::Buy, 10, 1)).unwrap();
        assert_eq!(
            book.add(order(1, Side::Buy, 11, 1)),
            Err(BookError::DuplicateOrderId(OrderId(1)))
        );
        assert_eq!(
            book.add(order(2, Side::Buy, 0, 1)),
            Err(BookError::InvalidPrice(0))
        );
        assert_eq!(
            book.add(order(2, Side::Buy, 10, 0)),
            Err(BookError::InvalidQuantity(0))
        );
        assert_eq!(
            book.cancel(OrderId(9)),
            Err(BookError::UnknownOrderId(OrderId(9)))
        );
        assert_eq!(
            book.add(order(3, Side::Buy, 10, u64::MAX)),
            Err(BookError::Overflow(10))
        );
        assert_eq!(book.len(), 1);
        assert_eq!(book.best_bid(), Some((10, 1)));
        book.check_integrity().unwrap();
    }

    #[test]
    fn an_overflowing_add_keeps_the_free_slot_it_would_have_used() {
        let mut book = OrderBook::new();
        book.add(order(1, Side::Buy, 10, 1)).unwrap();
        book.add(order(2, Side::Buy, 10, 1)).unwrap();
        book.cancel(OrderId(2)).unwrap();
        assert_eq!(
            book.add(order(3, Side::Buy, 10, u64::MAX)),
            Err(BookError::Overflow(10))
        );
        assert_eq!(book.free_nodes, vec![1]);
        book.add(order(4, Side::Buy, 10, 2)).unwrap();
        assert_eq!(book.nodes.len(), 2);
        assert_eq!(ids(&book.level_orders(Side::Buy, 10)), vec![1, 4]);
        assert_eq!(book.best_bid(), Some((10, 3)));
        book.check_integrity().unwrap();
    }

    #[test]
    fn size_down_keeps_priority_and_size_up_loses_it() {
        let mut book = OrderBook::new();
        book.add(order(1, Side::Buy, 10, 5)).unwrap();
        book.add(order(2, Side::Buy, 10, 5)).unwrap();
        book.modify(OrderId(1), 10, 3, 9).unwrap();
        assert_eq!(ids(&book.level_orders(Side::Buy, 10)), vec![1, 2]);
        book.modify(OrderId(1), 10, 4, 10).unwrap();
        assert_eq!(ids(&book.level_orders(Side::Buy, 10)), vec![2, 1]);
        book.modify(OrderId(2), 11, 5, 11).unwrap();
        assert_eq!(book.best_bid(), Some((11, 5)));
        assert_eq!(book.best_price(Side::Buy), Some(11));
        book.check_integrity().unwrap();
    }

    #[test]
    fn take_sweeps_levels_best_first_and_fifo_within_a_level() {
        let mut book = OrderBook::new();
        book.add(order(1, Side::Sell, 101, 3)).unwrap();
        book.add(order(2, Side::Sell, 100, 2)).unwrap();
        book.add(order(3, Side::Sell, 100, 2)).unwrap();
        let mut fills = Vec::new();
        let filled = book.take(Side::Sell, Some(101), 6, |f| fills.push(f));
        assert_eq!(filled, 6);
        let got: Vec<_> = fills.iter().map(|f| (f.maker.0, f.price, f.qty)).collect();
        assert_eq!(got, vec![(2, 100, 2), (3, 100, 2), (1, 101, 2)]);
        assert_eq!(book.order(OrderId(1)).unwrap().qty, 1);
        assert_eq!(fills[2].maker_leaves, 1);
        book.check_integrity().unwrap();
    }

    #[test]
    fn take_stops_at_the_limit() {
        let mut book = OrderBook::new();
        book.add(order(1, Side::Buy, 100, 3)).unwrap();
        book.add(order(2, Side::Buy, 98, 3)).unwrap();
        assert_eq!(book.available(Side::Buy, Some(99), 10), 3);
        let filled = book.take(Side::Buy, Some(99), 10, |_| {});
        assert_eq!(filled, 3);
        assert_eq!(book.best_bid(), Some((98, 3)));
    }

    #[test]
    fn reduce_keeps_priority_and_removes_at_zero() {
        let mut book = OrderBook::new();
        book.add(order(1, Side::Sell, 10, 5)).unwrap();
        book.add(order(2, Side::Sell, 10, 5)).unwrap();
        assert_eq!(book.reduce(OrderId(1), 2), Ok(3));
        assert_eq!(ids(&book.level_orders(Side::Sell, 10)), vec![1, 2]);
        assert_eq!(book.reduce(OrderId(1), 9), Ok(0));
        assert!(!book.contains(OrderId(1)));
        assert_eq!(book.best_ask(), Some((10, 5)));
        book.check_integrity().unwrap();
    }

    #[test]
    fn id_index_agrees_with_a_hash_map_through_growth_and_removals() {
        let mut index = IdIndex::default();
        let mut model = std::collections::HashMap::new();
        let mut rng = crate::stream::SplitMix64::new(3);
        for step in 0..50_000u32 {
            // Few distinct keys, some sharing low bits, so probe runs collide and wrap.
            let key = OrderId(rng.below(3_000) << (rng.below(3) * 20));
            if rng.below(100) < 55 {
                if let std::collections::hash_map::Entry::Vacant(e) = model.entry(key) {
                    index.insert(key, step);
                    e.insert(step);
                }
            } else {
                assert_eq!(index.remove(key), model.remove(&key));
            }
            assert_eq!(index.get(key), model.get(&key).copied());
            assert_eq!(index.len(), model.len());
        }
        assert!(model.iter().all(|(&k, &v)| index.get(k) == Some(v)));
        index.clear();
        assert!(model.keys().all(|&k| !index.contains(k)));
    }

    #[test]
    fn repricing_keeps_the_node_and_moves_it_to_the_back() {
        let mut book = OrderBook::new();
        book.add(order(1, Side::Sell, 10, 5)).unwrap();
        book.add(order(2, Side::Sell, 11, 5)).unwrap();
        let slot = book.slot_of(OrderId(1)).unwrap();
        book.modify(OrderId(1), 11, 5, 7).unwrap();
        assert_eq!(book.slot_of(OrderId(1)), Some(slot));
        assert_eq!(ids(&book.level_orders(Side::Sell, 11)), vec![2, 1]);
        assert_eq!(book.order(OrderId(1)).unwrap().ts, 7);
        assert_eq!(book.level_count(Side::Sell), 1);
        book.check_integrity().unwrap();
    }

    #[test]
    fn price_window_follows_the_best_and_far_levels_still_work() {
        let mut book = OrderBook::new();
        let mut id = 0;
        let mut add = |book: &mut OrderBook, side, price| {
            id += 1;
            book.add(order(id, side, price, 1)).unwrap();
            id
        };
        // Levels inside the window, far beyond it, and tick-spaced wider than it.
        for p in [10_000, 9_990, 9_000, 1, 4_000] {
            add(&mut book, Side::Buy, p);
        }
        for p in [10_010, 10_020, 13_000, 1_000_000, 12_000] {
            add(&mut book, Side::Sell, p);
        }
        book.check_integrity().unwrap();
        // Sweep the best bids away so the best moves out of the window, then back up again.
        let filled = book.take(Side::Buy, None, 3, |_| {});
        assert_eq!(filled, 3);
        book.check_integrity().unwrap();
        let low = book.best_price(Side::Buy).unwrap();
        let again = add(&mut book, Side::Buy, low);
        assert_eq!(book.level_orders(Side::Buy, low).len(), 2);
        add(&mut book, Side::Buy, low + 3_000);
        assert_eq!(book.best_price(Side::Buy), Some(low + 3_000));
        book.modify(OrderId(again), low + 3_000, 1, 3).unwrap();
        assert_eq!(book.level_orders(Side::Buy, low + 3_000).len(), 2);
        assert_eq!(book.level_count(Side::Buy), 3);
        book.check_integrity().unwrap();
        let asks: Vec<_> = book.depth(Side::Sell, 10).iter().map(|l| l.price).collect();
        assert_eq!(asks, vec![10_010, 10_020, 12_000, 13_000, 1_000_000]);
    }

    #[test]
    fn slots_are_reused_after_cancel() {
        let mut book = OrderBook::new();
        for round in 0..3u64 {
            for i in 0..100u64 {
                book.add(order(round * 1000 + i, Side::Buy, 1 + (i % 7) as i64, 1))
                    .unwrap();
            }
            for i in 0..100u64 {
                book.cancel(OrderId(round * 1000 + i)).unwrap();
            }
        }
        assert!(book.nodes.len() <= 100);
        assert!(book.is_empty());
        book.check_integrity().unwrap();
    }
}
