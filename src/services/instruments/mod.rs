//! Instruments: the searchable master (Kite's daily dump) and where its load stands.

mod catalog;
mod search;

pub use catalog::InstrumentCatalog;
pub use search::InstrumentIndex;
