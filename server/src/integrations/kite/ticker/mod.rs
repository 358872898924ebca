//! Kite's ticker wire format: binary frames of market-data packets, decoded without
//! allocation and encoded the same way (for the simulator). Pure functions over bytes; a
//! malformed frame is an error value, never a panic.

mod encode;
mod frame;
mod packet;
mod segment;

pub use encode::{EncodeError, encode_frame, encode_packet};
pub use frame::{Frame, FrameError, Packets, parse_frame, parse_packet};
pub use packet::{Depth, DepthLevel, TickerMode, TickerPacket};
pub use segment::Segment;

#[cfg(test)]
mod tests;
