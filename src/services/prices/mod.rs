//! Prices: the price service (latest ticks, candles, publish on the bus), the pieces it is built
//! from (candle series, conflation, interests), the subscription manager, and the demo market's
//! random walk, which drives the Kite simulator.

mod candles;
mod conflation;
mod demo_market;
mod feed_subscriptions;
mod interests;
mod price_service;

pub use candles::{CandleSeries, MINUTE_MS};
pub use conflation::ConflatingQueue;
pub use demo_market::{DemoInstrument, DemoMarket, demo_instruments};
pub use feed_subscriptions::FeedSubscriptions;
pub use interests::{FeedFull, Interests};
pub use price_service::{ChartData, PriceService};
