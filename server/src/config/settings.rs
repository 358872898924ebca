//! The typed settings and the rules that turn raw text into them.
//!
//! Over 500 lines: one typed section per configuration table and its parse, side by side so
//! the whole configuration reads as one table.

use std::net::SocketAddr;
use std::path::PathBuf;

use osp_core::model::TradingMode;
use osp_core::services::market_calendar::IstDate;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::ConfigError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    Development,
    Production,
    Test,
}

impl Profile {
    pub fn parse(text: &str) -> Result<Profile, ConfigError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "development" | "dev" => Ok(Profile::Development),
            "production" | "prod" => Ok(Profile::Production),
            "test" => Ok(Profile::Test),
            _ => Err(ConfigError::new(
                "profile",
                Some(text),
                "one of development, production, test",
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Profile::Development => "development",
            Profile::Production => "production",
            Profile::Test => "test",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line, for log collectors.
    Json,
}

#[derive(Clone, Debug)]
pub struct ServerSettings {
    pub addr: SocketAddr,
    /// Where the built site (`pkg/`, icons, manifest) lives. `None`: next to the binary.
    pub site_root: Option<PathBuf>,
    /// Served over HTTPS (by a TLS proxy in front): session cookies are Secure, and browsers
    /// are told to keep to HTTPS (HSTS).
    pub https: bool,
    /// Production without `https` runs only with this named opt-out (warned at start-up).
    pub allow_plain_http: bool,
    /// Other origins the app's pages are served under (a proxy that rewrites the host), whose
    /// requests are not cross-site.
    pub allowed_origins: Vec<String>,
    /// Reverse proxies whose `X-Forwarded-For` says who the client is (the sign-in limit is
    /// per client address).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Hosts (names or addresses, lower case) inside a private network the outgoing webhook may
    /// still be sent to; every other private, loopback or link-local address is refused.
    pub webhook_private_hosts: Vec<String>,
}

/// Secrets at rest.
#[derive(Clone, Debug, Default)]
pub struct SecretsSettings {
    /// base64 of the 32-byte AES-256-GCM key the Kite secret and tokens are sealed with.
    /// Required in production; elsewhere a key file in the data directory stands in.
    pub key: Option<SecretString>,
}

/// Sessions and sign-in.
#[derive(Clone, Copy, Debug)]
pub struct AuthSettings {
    /// A session unused this long ends.
    pub idle_timeout: std::time::Duration,
    /// A session ends this long after sign-in, however busy.
    pub absolute_timeout: std::time::Duration,
    /// Sign-in attempts one address may make per minute.
    pub login_attempts_per_minute: u32,
    /// Sign-in attempts one username (known or not) may make at once before it is slowed.
    pub sign_in_attempts: u32,
    /// Then one more attempt per this long (a browser the account signed in from before is not
    /// slowed).
    pub sign_in_retry: std::time::Duration,
}

#[derive(Clone, Debug)]
pub struct DatabaseSettings {
    /// `sqlite://…` or `postgres://…`; may hold a password, hence secret.
    pub url: SecretString,
    pub max_connections: u32,
}

impl DatabaseSettings {
    pub fn is_postgres(&self) -> bool {
        let url = self.url.expose_secret();
        url.starts_with("postgres://") || url.starts_with("postgresql://")
    }
}

#[derive(Clone, Debug)]
pub struct LogSettings {
    pub format: LogFormat,
    /// A `tracing` filter, e.g. `info,osp_server=debug`.
    pub filter: String,
}

#[derive(Clone, Debug)]
pub struct DemoSettings {
    pub tick_interval_ms: u64,
    pub seed: u64,
}

#[derive(Clone, Debug)]
pub struct StreamSettings {
    /// At most this many price batches per second to each browser; each holds the newest tick
    /// of every followed instrument that changed.
    pub max_updates_per_second: u32,
}

impl StreamSettings {
    pub fn min_interval(&self) -> std::time::Duration {
        std::time::Duration::from_millis(1_000 / u64::from(self.max_updates_per_second.max(1)))
    }
}

/// The market calendar: exchange holidays (IST dates) on top of weekends. Empty by default:
/// set the exchange's published list for the year (`OSP__MARKET__HOLIDAYS=2026-01-26,…`).
#[derive(Clone, Debug, Default)]
pub struct MarketSettings {
    pub holidays: Vec<IstDate>,
}

/// The paper broker's settings (paper mode only).
#[derive(Clone, Copy, Debug)]
pub struct PaperSettings {
    /// Market orders fill this many basis points against the trader.
    pub slippage_bp: u32,
    /// The virtual capital the paper account starts with.
    pub capital: osp_core::model::Price,
}

/// The trade monitor's settings.
#[derive(Clone, Debug)]
pub struct TradingSettings {
    /// Minutes after IST midnight at which intraday (MIS) trades are squared off.
    pub square_off_minute: u16,
    /// How long a stop may stand reached while the broker's stop order has not filled before
    /// the app takes it back and exits at market.
    pub stop_fill_grace_ms: i64,
}

impl Default for TradingSettings {
    fn default() -> Self {
        Self {
            square_off_minute: osp_core::services::trading::DEFAULT_SQUARE_OFF_MINUTE,
            stop_fill_grace_ms: osp_core::services::trading::PROTECTIVE_GRACE_MS,
        }
    }
}

/// The workers' settings.
#[derive(Clone, Copy, Debug)]
pub struct WorkerSettings {
    /// How long the trading lease lasts unrenewed (renewed every third of it).
    pub lease_ttl: std::time::Duration,
    /// How often Kite's alerts are read back (the mirror, and the firings Kite counted).
    pub kite_alerts_sync: std::time::Duration,
}

/// Where `/metrics` is served: its own listener, loopback by default, `None` when off.
#[derive(Clone, Copy, Debug)]
pub struct MetricsSettings {
    pub addr: Option<SocketAddr>,
}

/// The bus between processes: Redis (`redis://…`) when the web side and the workers run
/// apart; `None`, the default, is one process with its in-process bus.
#[derive(Clone, Debug)]
pub struct BusSettings {
    /// The address, credentials included (never logged).
    pub url: Option<SecretString>,
    /// A PEM file of the certificate authority a `rediss://` server's certificate is signed by,
    /// when it is not one the system trusts.
    pub ca_file: Option<PathBuf>,
    /// Production with a plain-text `redis://` bus to another machine runs only with this
    /// named opt-out (warned at start-up).
    pub allow_plain_text: bool,
    /// What the bus's channel names begin with (`{prefix}:ticks` …): each installation sharing
    /// one Redis needs its own.
    pub prefix: String,
}

/// Which Kite the app talks to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KiteEndpoint {
    /// The in-process simulator (demo mode; paper mode for a rehearsal without an account).
    Simulator,
    /// Zerodha's Kite (`zerodha`), or a Kite-compatible server at one address (`http://…`,
    /// e.g. `osp kite-sim` on another port, to rehearse paper or live mode end to end).
    Remote(kite_connect::common::urls::KiteEndpoints),
}

#[derive(Clone, Debug)]
pub struct KiteSettings {
    pub endpoint: KiteEndpoint,
    /// The Kite app used when none is saved on the Settings page.
    pub api_key: Option<String>,
    pub api_secret: Option<SecretString>,
    /// Live mode with a plain `http://` endpoint runs only with this named opt-out (warned at
    /// start-up): for a rehearsal against `osp kite-sim`.
    pub allow_plain_http: bool,
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub profile: Profile,
    pub mode: TradingMode,
    pub data_dir: PathBuf,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub log: LogSettings,
    pub demo: DemoSettings,
    pub stream: StreamSettings,
    pub market: MarketSettings,
    pub trading: TradingSettings,
    pub paper: PaperSettings,
    pub metrics: MetricsSettings,
    pub workers: WorkerSettings,
    pub bus: BusSettings,
    pub auth: AuthSettings,
    pub secrets: SecretsSettings,
    pub kite: KiteSettings,
}

impl Settings {
    /// The protections turned off by a named opt-out, each as the warning start-up logs.
    pub fn opt_outs(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if self.mode == TradingMode::Live
            && let KiteEndpoint::Remote(endpoints) = &self.kite.endpoint
            && endpoints.api_root.starts_with("http://")
        {
            warnings.push(format!(
                "kite.allow_plain_http: live mode talks to {} over plain HTTP — the Kite session \
                 and every order travel unencrypted (meant for a rehearsal against osp kite-sim)",
                endpoints.api_root
            ));
        }
        if self.profile == Profile::Production && !self.server.https {
            warnings.push(
                "server.allow_plain_http: production without server.https — session cookies are \
                 not Secure and browsers are not told to keep to HTTPS"
                    .to_owned(),
            );
        }
        if self.profile == Profile::Production
            && let Some(url) = &self.bus.url
            && url.expose_secret().starts_with("redis://")
            && !is_loopback_address(url.expose_secret())
        {
            warnings.push(
                "bus.allow_plain_text: the bus to the other processes (prices, orders' events, \
                 the kill switch) crosses the network unencrypted; use a rediss:// address"
                    .to_owned(),
            );
        }
        warnings
    }
}

/// Every key as text, as the layers deliver it; unknown keys are refused so a typo in a
/// variable name is caught instead of silently ignored.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSettings {
    pub profile: String,
    pub mode: String,
    pub data_dir: String,
    pub server: RawServer,
    pub database: RawDatabase,
    pub log: RawLog,
    pub demo: RawDemo,
    pub stream: RawStream,
    #[serde(default)]
    pub market: RawMarket,
    #[serde(default)]
    pub trading: RawTrading,
    #[serde(default)]
    pub paper: RawPaper,
    #[serde(default)]
    pub metrics: RawMetrics,
    #[serde(default)]
    pub workers: RawWorkers,
    #[serde(default)]
    pub bus: RawBus,
    #[serde(default)]
    pub auth: RawAuth,
    #[serde(default)]
    pub secrets: RawSecrets,
    #[serde(default)]
    pub kite: RawKite,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawServer {
    pub addr: String,
    #[serde(default)]
    pub site_root: String,
    #[serde(default)]
    pub https: String,
    #[serde(default)]
    pub allowed_origins: String,
    #[serde(default)]
    pub trusted_proxies: String,
    #[serde(default)]
    pub webhook_private_hosts: String,
    #[serde(default)]
    pub allow_plain_http: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDatabase {
    #[serde(default)]
    pub url: String,
    pub max_connections: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLog {
    pub format: String,
    pub filter: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDemo {
    pub tick_interval_ms: String,
    pub seed: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStream {
    pub max_updates_per_second: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMarket {
    #[serde(default)]
    pub holidays: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPaper {
    #[serde(default)]
    pub slippage_bp: String,
    #[serde(default)]
    pub capital: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTrading {
    #[serde(default)]
    pub square_off: String,
    #[serde(default)]
    pub stop_fill_grace_ms: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWorkers {
    #[serde(default)]
    pub lease_ttl_ms: String,
    #[serde(default)]
    pub kite_alerts_sync_ms: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSecrets {
    #[serde(default)]
    pub key: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAuth {
    #[serde(default)]
    pub idle_timeout_secs: String,
    #[serde(default)]
    pub absolute_timeout_secs: String,
    #[serde(default)]
    pub login_attempts_per_minute: String,
    #[serde(default)]
    pub sign_in_attempts: String,
    #[serde(default)]
    pub sign_in_retry_seconds: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMetrics {
    #[serde(default)]
    pub addr: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBus {
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub prefix: String,
    #[serde(default)]
    pub ca_file: String,
    #[serde(default)]
    pub allow_plain_text: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawKite {
    #[serde(default)]
    pub endpoint: String,
    #[serde(default)]
    pub api_key: String,
    #[serde(default)]
    pub api_secret: String,
    #[serde(default)]
    pub allow_plain_http: String,
}

/// `bus.prefix`: what the bus's channel names begin with; empty is `osp`.
fn parse_bus_prefix(text: &str) -> Result<String, ConfigError> {
    let prefix = match text.trim() {
        "" => "osp",
        prefix => prefix,
    };
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if prefix.len() > 32 || !prefix.chars().all(allowed) {
        return Err(ConfigError::new(
            "bus.prefix",
            Some(text),
            "1 to 32 letters, digits, '-', '_' or '.' — the bus's channels are named \
             PREFIX:ticks, PREFIX:changes …; give each installation sharing one Redis its own",
        ));
    }
    Ok(prefix.to_owned())
}

/// An opt-out switch: empty or `false` is off.
fn parse_opt_out(key: &str, text: &str) -> Result<bool, ConfigError> {
    match text.trim().to_ascii_lowercase().as_str() {
        "" | "false" => Ok(false),
        "true" => Ok(true),
        _ => Err(ConfigError::new(
            key,
            Some(text),
            "true or false (true runs without the protection, with a warning at start-up)",
        )),
    }
}

/// Whether a `redis://` address names this machine (a bus that never leaves it).
fn is_loopback_address(url: &str) -> bool {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return false;
    };
    let host = parsed.host_str().unwrap_or_default();
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn parse_int<T: std::str::FromStr + PartialOrd + std::fmt::Display>(
    key: &str,
    text: &str,
    min: T,
    max: T,
) -> Result<T, ConfigError> {
    let expected = || format!("a whole number from {min} to {max}");
    let value: T = text
        .trim()
        .parse()
        .map_err(|_| ConfigError::new(key, Some(text), expected()))?;
    if value < min || value > max {
        return Err(ConfigError::new(key, Some(text), expected()));
    }
    Ok(value)
}

fn non_empty(text: &str) -> Option<&str> {
    let t = text.trim();
    (!t.is_empty()).then_some(t)
}

/// `kite.endpoint` for `mode`: demo runs only on the simulator, live only on a real (or
/// Kite-compatible) server, paper on either; empty picks the mode's own.
fn kite_endpoint(
    mode: TradingMode,
    raw: &str,
    allow_plain_http: bool,
) -> Result<KiteEndpoint, ConfigError> {
    use kite_connect::common::urls::KiteEndpoints;
    let text = raw.trim();
    let endpoint = match text.to_ascii_lowercase().as_str() {
        "" if mode == TradingMode::Demo => KiteEndpoint::Simulator,
        "" | "zerodha" => KiteEndpoint::Remote(KiteEndpoints::default()),
        "simulator" => KiteEndpoint::Simulator,
        lower if lower.starts_with("http://") || lower.starts_with("https://") => {
            let rest = &text[text.find("://").map_or(0, |i| i + 3)..];
            let authority = rest.strip_suffix('/').unwrap_or(rest);
            let valid = !authority.is_empty()
                && !authority
                    .chars()
                    .any(|c| matches!(c, '/' | '?' | '#' | '@') || c.is_whitespace());
            if !valid {
                return Err(ConfigError::new(
                    "kite.endpoint",
                    Some(raw),
                    "a server's root address such as http://127.0.0.1:9000 (no path or query)",
                ));
            }
            KiteEndpoint::Remote(KiteEndpoints::simulator(text))
        }
        _ => {
            return Err(ConfigError::new(
                "kite.endpoint",
                Some(raw),
                "zerodha, simulator, or the http(s):// address of a Kite-compatible server",
            ));
        }
    };
    // Demo may use a simulator in another process (`osp kite-sim` at an http:// address: the
    // processes of a scale-out layout share one market), never Zerodha.
    let shared_simulator = text.to_ascii_lowercase().starts_with("http://");
    match (mode, &endpoint) {
        (TradingMode::Demo, KiteEndpoint::Remote(_)) if !shared_simulator => Err(ConfigError::new(
            "kite.endpoint",
            Some(raw),
            "simulator, or an osp kite-sim's http:// address, in demo mode (demo never talks to \
             Kite: use mode = paper or live for a Kite account)",
        )),
        (TradingMode::Live, KiteEndpoint::Remote(_)) if shared_simulator && !allow_plain_http => {
            Err(ConfigError::new(
                "kite.endpoint",
                Some(raw),
                "an https:// address (or zerodha) in live mode: over http:// the Kite session and \
                 every order travel unencrypted; to rehearse live mode against osp kite-sim, set \
                 kite.allow_plain_http = true",
            ))
        }
        (TradingMode::Live, KiteEndpoint::Simulator) => Err(ConfigError::new(
            "kite.endpoint",
            Some(raw),
            "zerodha or a Kite server's address in live mode (the simulator is demo mode's)",
        )),
        _ => Ok(endpoint),
    }
}

impl RawSettings {
    pub(super) fn validate(self) -> Result<Settings, ConfigError> {
        let profile = Profile::parse(&self.profile)?;
        let mode = match self.mode.trim().to_ascii_lowercase().as_str() {
            "demo" => TradingMode::Demo,
            "paper" => TradingMode::Paper,
            "live" => TradingMode::Live,
            _ => {
                return Err(ConfigError::new(
                    "mode",
                    Some(&self.mode),
                    "one of demo, paper, live",
                ));
            }
        };
        let data_dir = non_empty(&self.data_dir)
            .map(PathBuf::from)
            .ok_or_else(|| {
                ConfigError::new("data_dir", Some(&self.data_dir), "a directory path")
            })?;
        let addr: SocketAddr = self.server.addr.trim().parse().map_err(|_| {
            ConfigError::new(
                "server.addr",
                Some(&self.server.addr),
                "an IP address and port, like 127.0.0.1:3000 or 0.0.0.0:8080",
            )
        })?;
        let site_root = non_empty(&self.server.site_root).map(PathBuf::from);
        let allow_plain_http =
            parse_opt_out("server.allow_plain_http", &self.server.allow_plain_http)?;
        let https = match self.server.https.trim() {
            "" | "false" => false,
            "true" => true,
            other => {
                return Err(ConfigError::new(
                    "server.https",
                    Some(other),
                    "true when a TLS proxy serves the app over HTTPS, else false",
                ));
            }
        };
        if profile == Profile::Production && !https && !allow_plain_http {
            return Err(ConfigError::new(
                "server.https",
                Some(&self.server.https),
                "true in production, with a TLS proxy in front (Secure cookies, HSTS); to run \
                 production over plain HTTP anyway, set server.allow_plain_http = true",
            ));
        }
        let mut allowed_origins = Vec::new();
        for origin in self.server.allowed_origins.split(',').filter_map(non_empty) {
            let origin = origin.trim_end_matches('/');
            let valid = origin.split_once("://").is_some_and(|(scheme, host)| {
                matches!(scheme, "http" | "https") && !host.is_empty() && !host.contains('/')
            });
            if !valid {
                return Err(ConfigError::new(
                    "server.allowed_origins",
                    Some(origin),
                    "origins as scheme://host[:port] separated by commas, like https://trade.example.in",
                ));
            }
            allowed_origins.push(origin.to_owned());
        }
        let mut trusted_proxies = Vec::new();
        for proxy in self.server.trusted_proxies.split(',').filter_map(non_empty) {
            match proxy.parse::<std::net::IpAddr>() {
                Ok(ip) => trusted_proxies.push(ip),
                Err(_) => {
                    return Err(ConfigError::new(
                        "server.trusted_proxies",
                        Some(proxy),
                        "IP addresses of the reverse proxies in front of the app, separated by commas, like 127.0.0.1,::1",
                    ));
                }
            }
        }

        let url = match non_empty(&self.database.url) {
            // One database per mode: paper orders and trades never mix with the demo's.
            None => format!(
                "sqlite://{}",
                data_dir
                    .join(match mode {
                        TradingMode::Demo => "osp.db",
                        TradingMode::Paper => "osp-paper.db",
                        TradingMode::Live => "osp-live.db",
                    })
                    .display()
            ),
            Some(url)
                if url.starts_with("sqlite:")
                    || url.starts_with("postgres://")
                    || url.starts_with("postgresql://") =>
            {
                url.to_owned()
            }
            // The value may carry a password: name the key, not the value.
            Some(_) => {
                return Err(ConfigError::new(
                    "database.url",
                    None,
                    "a URL starting with sqlite:, postgres:// or postgresql:// (or leave it \
                     empty for SQLite in the data directory)",
                ));
            }
        };
        let max_connections = parse_int(
            "database.max_connections",
            &self.database.max_connections,
            1,
            100,
        )?;

        let format = match self.log.format.trim().to_ascii_lowercase().as_str() {
            "pretty" => LogFormat::Pretty,
            "json" => LogFormat::Json,
            _ => {
                return Err(ConfigError::new(
                    "log.format",
                    Some(&self.log.format),
                    "pretty or json",
                ));
            }
        };
        tracing_subscriber::EnvFilter::try_new(self.log.filter.trim()).map_err(|_| {
            ConfigError::new(
                "log.filter",
                Some(&self.log.filter),
                "a tracing filter such as info or warn,osp_server=debug",
            )
        })?;

        let tick_interval_ms = parse_int(
            "demo.tick_interval_ms",
            &self.demo.tick_interval_ms,
            50,
            60_000,
        )?;
        let seed = parse_int("demo.seed", &self.demo.seed, 0, u64::MAX)?;
        let max_updates_per_second = parse_int(
            "stream.max_updates_per_second",
            &self.stream.max_updates_per_second,
            1,
            50,
        )?;

        let mut holidays = Vec::new();
        for text in self.market.holidays.split(',').filter_map(non_empty) {
            let date: IstDate = text.parse().map_err(|_| {
                ConfigError::new(
                    "market.holidays",
                    Some(text),
                    "dates as YYYY-MM-DD separated by commas, like 2026-01-26,2026-03-03",
                )
            })?;
            holidays.push(date);
        }

        let square_off_minute = osp_core::services::trading::parse_clock(
            self.trading.square_off.trim(),
        )
        .ok_or_else(|| {
            ConfigError::new(
                "trading.square_off",
                Some(&self.trading.square_off),
                "an IST time of day as HH:MM, like 15:15 (Kite squares MIS off itself from 15:20)",
            )
        })?;

        let slippage_bp = parse_int("paper.slippage_bp", &self.paper.slippage_bp, 0, 500)?;
        let capital = osp_core::model::Price::parse(self.paper.capital.trim())
            .ok()
            .filter(|c| *c > osp_core::model::Price::ZERO)
            .ok_or_else(|| {
                ConfigError::new(
                    "paper.capital",
                    Some(&self.paper.capital),
                    "an amount in rupees above zero, like 1000000 or 10,00,000",
                )
            })?;

        let stop_fill_grace_ms = parse_int(
            "trading.stop_fill_grace_ms",
            &self.trading.stop_fill_grace_ms,
            1_000,
            600_000,
        )?;
        let lease_ttl_ms = parse_int(
            "workers.lease_ttl_ms",
            &self.workers.lease_ttl_ms,
            300,
            600_000,
        )?;
        let kite_alerts_sync_ms = parse_int(
            "workers.kite_alerts_sync_ms",
            &self.workers.kite_alerts_sync_ms,
            200,
            3_600_000,
        )?;
        let idle_secs = parse_int(
            "auth.idle_timeout_secs",
            &self.auth.idle_timeout_secs,
            1,
            2_592_000,
        )?;
        let absolute_secs = parse_int(
            "auth.absolute_timeout_secs",
            &self.auth.absolute_timeout_secs,
            1,
            31_536_000,
        )?;
        let auth = AuthSettings {
            idle_timeout: std::time::Duration::from_secs(idle_secs),
            absolute_timeout: std::time::Duration::from_secs(absolute_secs),
            login_attempts_per_minute: parse_int(
                "auth.login_attempts_per_minute",
                &self.auth.login_attempts_per_minute,
                1,
                10_000,
            )?,
            sign_in_attempts: parse_int(
                "auth.sign_in_attempts",
                &self.auth.sign_in_attempts,
                1,
                1_000,
            )?,
            sign_in_retry: std::time::Duration::from_secs(parse_int(
                "auth.sign_in_retry_seconds",
                &self.auth.sign_in_retry_seconds,
                1,
                3_600,
            )?),
        };
        let metrics_addr = match self.metrics.addr.trim() {
            "" | "off" => None,
            text => Some(text.parse::<SocketAddr>().map_err(|_| {
                ConfigError::new(
                    "metrics.addr",
                    Some(&self.metrics.addr),
                    "an IP address and port for /metrics, like 127.0.0.1:9464, or off",
                )
            })?),
        };

        let bus_url = match self.bus.url.trim() {
            "" | "off" => None,
            text if text.starts_with("redis://") || text.starts_with("rediss://") => {
                Some(SecretString::from(text.to_owned()))
            }
            _ => {
                return Err(ConfigError::new(
                    "bus.url",
                    Some("(hidden: it may hold a password)"),
                    "a Redis address like redis://127.0.0.1:6379 or rediss://redis.example.in:6380 \
                     (TLS), or off",
                ));
            }
        };
        let bus_tls = bus_url
            .as_ref()
            .is_some_and(|url| url.expose_secret().starts_with("rediss://"));
        let allow_plain_text = parse_opt_out("bus.allow_plain_text", &self.bus.allow_plain_text)?;
        let plain_bus_elsewhere = bus_url
            .as_ref()
            .is_some_and(|url| !bus_tls && !is_loopback_address(url.expose_secret()));
        if profile == Profile::Production && plain_bus_elsewhere && !allow_plain_text {
            return Err(ConfigError::new(
                "bus.url",
                Some("(hidden: it may hold a password)"),
                "a rediss:// (TLS) address in production when Redis is on another machine; to \
                 send the bus in plain text anyway, set bus.allow_plain_text = true",
            ));
        }
        let bus_prefix = parse_bus_prefix(&self.bus.prefix)?;
        let bus_ca_file = non_empty(&self.bus.ca_file).map(PathBuf::from);
        if let Some(file) = &bus_ca_file {
            if !bus_tls {
                return Err(ConfigError::new(
                    "bus.ca_file",
                    Some(&self.bus.ca_file),
                    "only with a rediss:// bus.url (it names who signed the TLS server's \
                     certificate)",
                ));
            }
            if !file.is_file() {
                return Err(ConfigError::new(
                    "bus.ca_file",
                    Some(&self.bus.ca_file),
                    "a readable PEM file of the certificate authority that signed the Redis \
                     server's certificate",
                ));
            }
        }

        let kite_plain_http = parse_opt_out("kite.allow_plain_http", &self.kite.allow_plain_http)?;
        Ok(Settings {
            profile,
            mode,
            data_dir,
            server: ServerSettings {
                addr,
                site_root,
                https,
                allow_plain_http,
                allowed_origins,
                trusted_proxies,
                webhook_private_hosts: self
                    .server
                    .webhook_private_hosts
                    .split(',')
                    .filter_map(non_empty)
                    .map(|host| host.trim_matches(['[', ']']).to_ascii_lowercase())
                    .collect(),
            },
            database: DatabaseSettings {
                url: SecretString::from(url),
                max_connections,
            },
            log: LogSettings {
                format,
                filter: self.log.filter.trim().to_owned(),
            },
            demo: DemoSettings {
                tick_interval_ms,
                seed,
            },
            stream: StreamSettings {
                max_updates_per_second,
            },
            market: MarketSettings { holidays },
            trading: TradingSettings {
                square_off_minute,
                stop_fill_grace_ms,
            },
            paper: PaperSettings {
                slippage_bp,
                capital,
            },
            metrics: MetricsSettings { addr: metrics_addr },
            workers: WorkerSettings {
                lease_ttl: std::time::Duration::from_millis(lease_ttl_ms),
                kite_alerts_sync: std::time::Duration::from_millis(kite_alerts_sync_ms),
            },
            bus: BusSettings {
                url: bus_url,
                ca_file: bus_ca_file,
                allow_plain_text,
                prefix: bus_prefix,
            },
            auth,
            secrets: SecretsSettings {
                key: non_empty(&self.secrets.key).map(|k| SecretString::from(k.to_owned())),
            },
            kite: KiteSettings {
                endpoint: kite_endpoint(mode, &self.kite.endpoint, kite_plain_http)?,
                allow_plain_http: kite_plain_http,
                api_key: non_empty(&self.kite.api_key).map(str::to_owned),
                api_secret: non_empty(&self.kite.api_secret)
                    .map(|s| SecretString::from(s.to_owned())),
            },
        })
    }
}
