//! Kite Connect v3. So far: the ticker's binary codec (`ticker`). The REST client, the ticker
//! connection and the simulator build on it (see issue 3).

pub mod instruments;
pub mod sim;
pub mod ticker;
