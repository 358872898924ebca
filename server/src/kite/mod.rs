//! The server's Kite wiring over the `kite-connect` client and the `kite-sim` simulator:
//! `connection` (KiteAccount: Connect Kite, the sealed session, resume and disconnect),
//! `live_prices` (the ticker pool following the login), `market` (which market a process
//! reads: the simulator's or Kite's), `demo` (the in-process simulator for demo mode — the only
//! place the server's library reaches the simulator), `instruments_loader` (Kite's dump
//! loaded on its schedule).

pub mod connection;
pub mod demo;
pub mod instruments_loader;
pub mod live_prices;
pub mod market;
