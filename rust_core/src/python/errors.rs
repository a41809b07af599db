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
