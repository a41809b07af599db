//! The one place Rust errors become Python exceptions (defined in `ferrotrade.errors`).

use pyo3::PyErr;

use crate::book::BookError;
use crate::lobster::LobsterError;
use crate::matching::MatchError;

pyo3::import_exception!(ferrotrade.errors, DuplicateOrderIdError);
pyo3::import_exception!(ferrotrade.errors, UnknownOrderIdError);
pyo3::import_exception!(ferrotrade.errors, InvalidQuantityError);
pyo3::import_exception!(ferrotrade.errors, InvalidPriceError);
pyo3::import_exception!(ferrotrade.errors, OffTickError);
pyo3::import_exception!(ferrotrade.errors, MissingPriceError);
pyo3::import_exception!(ferrotrade.errors, QuantityOverflowError);
pyo3::import_exception!(ferrotrade.errors, DataFormatError);
pyo3::import_exception!(ferrotrade.errors, InvalidParameterError);

pub(crate) fn book_err(e: BookError) -> PyErr {
    match_err(MatchError::from(e))
}

pub(crate) fn match_err(e: MatchError) -> PyErr {
    let msg = e.to_string();
    match e {
        MatchError::DuplicateOrderId(_) => DuplicateOrderIdError::new_err(msg),
        MatchError::UnknownOrderId(_) => UnknownOrderIdError::new_err(msg),
        MatchError::InvalidQuantity(_) => InvalidQuantityError::new_err(msg),
        MatchError::InvalidPrice(_) => InvalidPriceError::new_err(msg),
        MatchError::MissingLimitPrice(_) | MatchError::MissingStopPrice(_) => {
            MissingPriceError::new_err(msg)
        }
        MatchError::Overflow(_) => QuantityOverflowError::new_err(msg),
    }
}

pub(crate) fn lobster_err(e: LobsterError) -> PyErr {
    match e {
        LobsterError::BadLevels(_) => InvalidParameterError::new_err(e.to_string()),
        _ => DataFormatError::new_err(e.to_string()),
    }
}

pyo3::import_exception!(ferrotrade.errors, InvalidBarError);

pub(crate) fn bar_err(e: crate::bar_matching::BarMatchingError) -> PyErr {
    use crate::bar_matching::BarMatchingError as E;
    let msg = e.to_string();
    match e {
        E::InvalidMaxVolumePct(_) | E::InvalidSlippageBps(_) => InvalidParameterError::new_err(msg),
        E::InvalidBarPrice { .. } | E::InconsistentBar { .. } | E::BarOutOfOrder { .. } => {
            InvalidBarError::new_err(msg)
        }
        E::InvalidQuantity(_) => InvalidQuantityError::new_err(msg),
        E::MissingLimitPrice { .. } | E::MissingStopPrice { .. } => MissingPriceError::new_err(msg),
        E::InvalidLimitPrice { .. } | E::InvalidStopPrice { .. } => InvalidPriceError::new_err(msg),
        E::DuplicateOrderId(_) => DuplicateOrderIdError::new_err(msg),
        E::UnknownOrderId(_) => UnknownOrderIdError::new_err(msg),
    }
}

pub(crate) fn tracker_err(e: crate::tracker::TrackerError) -> PyErr {
    use crate::tracker::TrackerError as E;
    let msg = e.to_string();
    let inner = match &e {
        E::InBatch { source, .. } => source.as_ref(),
        other => other,
    };
    match inner {
        E::InvalidLotSize(_) => InvalidParameterError::new_err(msg),
        E::InvalidQuantity => InvalidQuantityError::new_err(msg),
        E::InvalidPrice(_) => InvalidPriceError::new_err(msg),
        E::InvalidFee(_) | E::OutOfOrderFill { .. } => InvalidParameterError::new_err(msg),
        E::PositionOverflow { .. } | E::InBatch { .. } => QuantityOverflowError::new_err(msg),
    }
}
