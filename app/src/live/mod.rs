//! Live data in the browser: the websocket protocol shared with the server, and the client that
//! keeps a signal up to date, reconnecting with back-off.

mod backoff;
mod link_state;
mod protocol;
mod stream;

pub use backoff::reconnect_delay_ms;
pub use link_state::LinkState;
pub use protocol::{ClientMessage, MAX_FOLLOWED, PRICES_WS_PATH, ServerMessage};
pub use stream::{ActivityLog, MarketStream, provide_market_stream, use_market_stream};
