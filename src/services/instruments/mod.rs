//! Instruments: the searchable master (Kite's daily dump), where its load stands, and when it
//! is loaded (`schedule`).

mod catalog;
pub mod schedule;
mod search;

pub use catalog::InstrumentCatalog;
pub use search::InstrumentIndex;
