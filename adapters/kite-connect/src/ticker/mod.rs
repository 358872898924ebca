//! Kite's ticker: the wire format (binary frames of market-data packets, decoded without
//! allocation and encoded the same way for the simulator; JSON text messages) and the client
//! connection (`client`), sharded over Kite's 3 × 3000 limit by `pool`. The codec is pure functions over bytes; a malformed frame is an
//! error value, never a panic.

mod client;
mod encode;
mod frame;
mod message;
mod packet;
mod pool;
mod segment;

pub use client::{TickSink, TickerConfig, TickerHandle, TickerState, TickerStats, spawn};
pub use encode::{EncodeError, encode_frame, encode_packet};
pub use frame::{Frame, FrameError, Packets, parse_frame, parse_packet};
pub use message::{ClientMessage, ServerText};
pub use packet::{Depth, DepthLevel, TickerMode, TickerPacket};
pub use pool::{MAX_CONNECTIONS, MAX_INSTRUMENTS_PER_CONNECTION, TickerPool, TooManyInstruments};
pub use segment::Segment;

#[cfg(test)]
mod tests;
