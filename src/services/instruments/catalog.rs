//! The instrument catalog: the current index (swapped whole after each load, so a search never
//! sees a half-loaded list) and the state of the load for the UI.

use std::sync::{Arc, RwLock};

use crate::model::{Exchange, Instrument, InstrumentToken, InstrumentsLoad};

use super::InstrumentIndex;

/// Results per search, at most.
pub const MAX_RESULTS: usize = 50;

pub struct InstrumentCatalog {
    index: RwLock<Arc<InstrumentIndex>>,
    load: RwLock<InstrumentsLoad>,
}

impl Default for InstrumentCatalog {
    fn default() -> Self {
        Self {
            index: RwLock::new(Arc::new(InstrumentIndex::new(Vec::new()))),
            load: RwLock::new(InstrumentsLoad::Waiting),
        }
    }
}

impl InstrumentCatalog {
    pub fn index(&self) -> Arc<InstrumentIndex> {
        self.index.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn replace(&self, instruments: Vec<Instrument>) {
        let index = Arc::new(InstrumentIndex::new(instruments));
        *self.index.write().unwrap_or_else(|p| p.into_inner()) = index;
    }

    pub fn get(&self, token: InstrumentToken) -> Option<Instrument> {
        self.index().get(token).cloned()
    }

    /// The instrument an order names (exchange and exact trading symbol).
    pub fn find(&self, exchange: Exchange, tradingsymbol: &str) -> Option<Instrument> {
        self.index().find(exchange, tradingsymbol).cloned()
    }

    pub fn search(&self, query: &str, limit: usize) -> Vec<Instrument> {
        self.index()
            .search(query, limit.min(MAX_RESULTS))
            .into_iter()
            .cloned()
            .collect()
    }

    pub fn load_state(&self) -> InstrumentsLoad {
        self.load.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn set_load_state(&self, state: InstrumentsLoad) {
        *self.load.write().unwrap_or_else(|p| p.into_inner()) = state;
    }
}
