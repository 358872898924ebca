//! Strategy: levels and what their crossings do. What makes a level valid and how a form becomes
//! one (`level_rules`, `level_draft`), the per-instrument index of levels and the trend detector
//! that decides a crossing's direction (`level_index`, `trend`), the level monitor (each crossing
//! triggers at most once per arm), the order a triggered level places (`level_orders`), the level
//! trader that runs the monitor on live ticks and places orders through the executor, and the
//! level service (create, edit, delete, undo, CSV).

pub(super) mod level_draft;
pub(super) mod level_index;
pub(super) mod level_monitor;
pub(super) mod level_orders;
pub(super) mod level_rules;
pub(super) mod level_trader;
pub(super) mod levels;
pub(super) mod trend;
