//! Configuration: typed settings, loaded in layers and validated once at start-up.
//!
//! Layers, each overriding the one before: profile defaults → optional TOML file (`--config`)
//! → Leptos' and the ecosystem's usual variables (`LEPTOS_SITE_ADDR`, `LEPTOS_SITE_ROOT`,
//! `DATABASE_URL`) → `OSP__SECTION__KEY` variables → command-line flags. In the development
//! profile a `.env` file in the working directory is read first (it never overrides variables
//! already set). Any bad value stops start-up with one line naming the key and what is allowed.

mod error;
mod load;
#[cfg(test)]
mod readme_keys;
mod settings;

pub use error::ConfigError;
pub use load::{Overrides, is_known_key, load, load_from};
pub use settings::{
    BusSettings, DatabaseSettings, DemoSettings, KiteEndpoint, KiteSettings, LogFormat,
    LogSettings, MarketSettings, Profile, ServerSettings, Settings, StreamSettings,
};
