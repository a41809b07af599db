//! Domain primitives shared by every engine.
//!
//! Invariant: inside Rust, prices are signed integer *ticks* and sizes unsigned integer *lots*.
//! Conversion from decimal prices happens once, at the Python boundary, from an instrument's
//! price and size increments. Timestamps are integer nanoseconds since the Unix epoch (UTC).

/// A price in ticks of the instrument's price increment.
pub type Price = i64;
/// A quantity in lots of the instrument's size increment.
pub type Qty = u64;
/// Nanoseconds since the Unix epoch, UTC.
pub type TimestampNs = i64;

/// An order's identifier, chosen by the caller; unique among live orders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrderId(pub u64);

impl std::fmt::Display for OrderId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Which side of the book an order rests on, or which side took liquidity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Side {
    Buy = 0,
    Sell = 1,
}

impl Side {
    /// The side this one trades against.
    #[inline]
    pub fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }

    /// +1 for buys, -1 for sells: the sign of the position change.
    #[inline]
    pub fn sign(self) -> i64 {
        match self {
            Side::Buy => 1,
            Side::Sell => -1,
        }
    }

    /// Decodes the compact batch encoding (0 buy, 1 sell).
    pub fn from_code(code: i64) -> Option<Side> {
        match code {
            0 => Some(Side::Buy),
            1 => Some(Side::Sell),
            _ => None,
        }
    }
}

/// How an order is priced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum OrderType {
    Limit = 0,
    Market = 1,
    Stop = 2,
    StopLimit = 3,
}

impl OrderType {
    pub fn from_code(code: i64) -> Option<OrderType> {
        match code {
            0 => Some(OrderType::Limit),
            1 => Some(OrderType::Market),
            2 => Some(OrderType::Stop),
            3 => Some(OrderType::StopLimit),
            _ => None,
        }
    }
}

/// How long an order stays working.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TimeInForce {
    /// Good till cancelled: rests until filled or cancelled.
    Gtc = 0,
    /// Immediate or cancel: fills what it can now, cancels the rest.
    Ioc = 1,
    /// Fill or kill: fills completely now or not at all.
    Fok = 2,
    /// Rests until the session-end event, then expires.
    Day = 3,
}

impl TimeInForce {
    pub fn from_code(code: i64) -> Option<TimeInForce> {
        match code {
            0 => Some(TimeInForce::Gtc),
            1 => Some(TimeInForce::Ioc),
            2 => Some(TimeInForce::Fok),
            3 => Some(TimeInForce::Day),
            _ => None,
        }
    }
}

/// The order lifecycle. Legal transitions are listed in [`OrderStatus::can_become`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum OrderStatus {
    New = 0,
    Acked = 1,
    PartiallyFilled = 2,
    Filled = 3,
    Rejected = 4,
    Canceled = 5,
    Expired = 6,
}

impl OrderStatus {
    /// One line per legal (state → state) transition; anything else is a bug.
    pub fn can_become(self, next: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, next),
            (New, Acked)
                | (New, Rejected)
                | (Acked, PartiallyFilled)
                | (Acked, Filled)
                | (Acked, Canceled)
                | (Acked, Expired)
                | (PartiallyFilled, PartiallyFilled)
                | (PartiallyFilled, Filled)
                | (PartiallyFilled, Canceled)
                | (PartiallyFilled, Expired)
        )
    }

    /// True once the order can change no more.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            OrderStatus::Filled
                | OrderStatus::Rejected
                | OrderStatus::Canceled
                | OrderStatus::Expired
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_table_allows_the_seed_paths_only() {
        use OrderStatus::*;
        assert!(New.can_become(Acked));
        assert!(Acked.can_become(PartiallyFilled));
        assert!(PartiallyFilled.can_become(Filled));
        assert!(New.can_become(Rejected));
        assert!(!Filled.can_become(Canceled));
        assert!(!New.can_become(Filled));
        assert!(!Canceled.can_become(Acked));
        assert!(Expired.is_terminal() && !Acked.is_terminal());
    }

    #[test]
    fn codes_round_trip() {
        assert_eq!(Side::from_code(1), Some(Side::Sell));
        assert_eq!(Side::from_code(2), None);
        assert_eq!(OrderType::from_code(3), Some(OrderType::StopLimit));
        assert_eq!(TimeInForce::from_code(3), Some(TimeInForce::Day));
        assert_eq!(Side::Buy.opposite(), Side::Sell);
    }
}
