//! Services: the business rules. Each takes its collaborators as ports.

pub mod prices;
pub mod status;
