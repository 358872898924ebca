//! Reading the layers and handing the merged text to validation.

use std::collections::HashMap;
use std::path::PathBuf;

use config::{Config, Environment, File, FileFormat};

use super::settings::RawSettings;
use super::{ConfigError, Profile, Settings};

/// What the command line says; it wins over every other layer.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub profile: Option<String>,
    pub addr: Option<String>,
    pub data_dir: Option<PathBuf>,
}

/// Loads settings from the real process environment (reading `.env` in development).
pub fn load(overrides: &Overrides) -> Result<Settings, ConfigError> {
    let env: HashMap<String, String> = std::env::vars().collect();
    let profile = profile_of(overrides, &env)?;
    if profile == Profile::Development {
        // Never overrides a variable that is already set.
        let _ = dotenvy::dotenv();
    }
    load_from(overrides, &std::env::vars().collect())
}

fn profile_of(
    overrides: &Overrides,
    env: &HashMap<String, String>,
) -> Result<Profile, ConfigError> {
    match overrides
        .profile
        .as_deref()
        .or(env.get("OSP__PROFILE").map(String::as_str))
    {
        Some(text) => Profile::parse(text),
        None => Ok(Profile::Development),
    }
}

/// The same, from an explicit environment: what tests call.
pub fn load_from(
    overrides: &Overrides,
    env: &HashMap<String, String>,
) -> Result<Settings, ConfigError> {
    let profile = profile_of(overrides, env)?;
    let mut builder = defaults(profile);

    if let Some(path) = &overrides.config_file {
        if !path.is_file() {
            return Err(ConfigError::new(
                "config file",
                Some(&path.display().to_string()),
                "an existing TOML file (check the --config path)",
            ));
        }
        builder = builder.add_source(File::from(path.as_path()).format(FileFormat::Toml));
    }

    // The ecosystem's usual variables, below our own.
    let mut conventional = Config::builder();
    for (var, key) in [
        ("LEPTOS_SITE_ADDR", "server.addr"),
        ("LEPTOS_SITE_ROOT", "server.site_root"),
        ("DATABASE_URL", "database.url"),
    ] {
        conventional = conventional
            .set_override_option(key, env.get(var).cloned())
            .map_err(|e| ConfigError::new(key, None, e.to_string()))?;
    }
    let conventional = conventional
        .build()
        .map_err(|e| ConfigError::new("environment", None, e.to_string()))?;
    builder = builder.add_source(conventional);

    builder = builder.add_source(
        Environment::with_prefix("OSP")
            .prefix_separator("__")
            .separator("__")
            .source(Some(env.clone().into_iter().collect())),
    );

    builder = builder
        .set_override("profile", profile.name())
        .and_then(|b| b.set_override_option("server.addr", overrides.addr.clone()))
        .and_then(|b| {
            b.set_override_option(
                "data_dir",
                overrides.data_dir.as_ref().map(|p| p.display().to_string()),
            )
        })
        .map_err(|e| ConfigError::new("command line", None, e.to_string()))?;

    let merged = builder.build().map_err(describe)?;
    let raw: RawSettings = merged.try_deserialize().map_err(describe)?;
    raw.validate()
}

/// Whether `key` (`section.name`, or a top-level name such as `mode`) is a setting; every other
/// key is refused at start-up. Asked of the settings themselves, so it cannot drift from them.
pub fn is_known_key(key: &str) -> bool {
    if key.is_empty()
        || !key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'.')
    {
        return false;
    }
    defaults(Profile::Test)
        .set_override("profile", "test")
        .and_then(|b| b.set_override(key, "x"))
        .and_then(|b| b.build())
        .and_then(|c| c.try_deserialize::<RawSettings>())
        .is_ok()
}

fn defaults(profile: Profile) -> config::ConfigBuilder<config::builder::DefaultState> {
    let (format, filter) = match profile {
        Profile::Development => ("pretty", "info,osp_server=debug"),
        Profile::Production => ("json", "info"),
        Profile::Test => ("pretty", "warn"),
    };
    // Tests run many servers at once: each takes a free loopback port for its metrics.
    let metrics = match profile {
        Profile::Test => "127.0.0.1:0",
        _ => "127.0.0.1:9464",
    };
    // The browser tests sign in many times from one address, as one admin, each from a new
    // browser context.
    let (login_attempts, sign_in_attempts) = match profile {
        Profile::Test => ("600", "600"),
        _ => ("10", "5"),
    };
    let pairs = [
        ("mode", "demo"),
        ("data_dir", "./data"),
        ("server.addr", "127.0.0.1:3000"),
        ("server.site_root", ""),
        ("database.url", ""),
        ("database.max_connections", "5"),
        ("log.format", format),
        ("log.filter", filter),
        ("demo.tick_interval_ms", "500"),
        ("demo.seed", "42"),
        ("stream.max_updates_per_second", "4"),
        ("market.holidays", ""),
        ("trading.square_off", "15:15"),
        ("trading.stop_fill_grace_ms", "5000"),
        ("paper.slippage_bp", "5"),
        ("paper.capital", "1000000"),
        ("metrics.addr", metrics),
        ("workers.lease_ttl_ms", "15000"),
        ("workers.kite_alerts_sync_ms", "30000"),
        ("server.https", "false"),
        ("server.allowed_origins", ""),
        ("server.trusted_proxies", ""),
        ("server.webhook_private_hosts", ""),
        ("server.allow_plain_http", "false"),
        ("auth.idle_timeout_secs", "43200"),
        ("auth.absolute_timeout_secs", "604800"),
        ("auth.login_attempts_per_minute", login_attempts),
        ("auth.sign_in_attempts", sign_in_attempts),
        ("auth.sign_in_retry_seconds", "30"),
        ("secrets.key", ""),
        ("kite.endpoint", ""),
        ("kite.api_key", ""),
        ("kite.api_secret", ""),
        ("kite.allow_plain_http", "false"),
        ("bus.url", ""),
        ("bus.ca_file", ""),
        ("bus.allow_plain_text", "false"),
        ("bus.prefix", "osp"),
    ];
    pairs.into_iter().fold(Config::builder(), |b, (k, v)| {
        b.set_default(k, v)
            .expect("static default keys are well-formed")
    })
}

/// Turns the `config` crate's messages ("unknown field `adrr` … for key `server`") into ours.
fn describe(error: config::ConfigError) -> ConfigError {
    let text = error.to_string();
    if let Some(field) = text
        .split("unknown field `")
        .nth(1)
        .and_then(|rest| rest.split('`').next())
    {
        let section = text
            .split("for key `")
            .nth(1)
            .and_then(|rest| rest.split('`').next())
            .filter(|s| !s.is_empty());
        let key = match section {
            Some(section) => format!("{section}.{field}"),
            None => field.to_owned(),
        };
        return ConfigError::new(
            &key,
            None,
            "no such setting; check the spelling (see `osp --help` for every key)",
        );
    }
    ConfigError::new("configuration", None, text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::LogFormat;
    use secrecy::ExposeSecret;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn load_env(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        load_from(&Overrides::default(), &env(pairs))
    }

    #[test]
    fn defaults_are_demo_mode_on_sqlite_in_the_data_directory() {
        let s = load_env(&[]).unwrap();
        assert_eq!(s.profile, Profile::Development);
        assert_eq!(s.mode, osp_core::model::TradingMode::Demo);
        assert_eq!(s.server.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(s.database.url.expose_secret(), "sqlite://./data/osp.db");
        assert_eq!(s.log.format, LogFormat::Pretty);
        assert!(!s.database.is_postgres());
    }

    #[test]
    fn layers_override_in_order() {
        let s = load_env(&[
            ("LEPTOS_SITE_ADDR", "127.0.0.1:4000"),
            ("DATABASE_URL", "postgres://u:p@localhost/db"),
        ])
        .unwrap();
        assert_eq!(s.server.addr.port(), 4000);
        assert!(s.database.is_postgres());

        let s = load_env(&[
            ("LEPTOS_SITE_ADDR", "127.0.0.1:4000"),
            ("OSP__SERVER__ADDR", "127.0.0.1:5000"),
            ("OSP__PROFILE", "production"),
            ("OSP__SERVER__HTTPS", "true"),
        ])
        .unwrap();
        assert_eq!(s.server.addr.port(), 5000);
        assert_eq!(s.log.format, LogFormat::Json);
        assert_eq!(s.trading.stop_fill_grace_ms, 5_000, "the default");
        let s = load_env(&[("OSP__TRADING__STOP_FILL_GRACE_MS", "15000")]).unwrap();
        assert_eq!(s.trading.stop_fill_grace_ms, 15_000);

        let overrides = Overrides {
            addr: Some("127.0.0.1:6000".into()),
            ..Overrides::default()
        };
        let s = load_from(&overrides, &env(&[("OSP__SERVER__ADDR", "127.0.0.1:5000")])).unwrap();
        assert_eq!(s.server.addr.port(), 6000);
    }

    #[test]
    fn a_config_file_sits_between_defaults_and_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("osp.toml");
        std::fs::write(
            &path,
            "data_dir = \"/var/lib/osp\"\n[demo]\ntick_interval_ms = 250\n[server]\naddr = \"0.0.0.0:8080\"\n[database]\nmax_connections = 7\n",
        )
        .unwrap();
        let overrides = Overrides {
            config_file: Some(path),
            ..Overrides::default()
        };
        let s = load_from(&overrides, &env(&[("OSP__DEMO__TICK_INTERVAL_MS", "100")])).unwrap();
        assert_eq!(s.data_dir, PathBuf::from("/var/lib/osp"));
        assert_eq!(s.server.addr.to_string(), "0.0.0.0:8080");
        assert_eq!(s.demo.tick_interval_ms, 100);
        assert_eq!(s.database.max_connections, 7);

        let missing = Overrides {
            config_file: Some(dir.path().join("nope.toml")),
            ..Overrides::default()
        };
        let err = load_from(&missing, &env(&[])).unwrap_err();
        assert!(err.to_string().contains("nope.toml"), "{err}");
    }

    #[test]
    fn bad_values_name_the_key_and_what_is_allowed() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "OSP__SERVER__ADDR",
                "localhost",
                "server.addr (OSP__SERVER__ADDR) = \"localhost\": an IP address and port",
            ),
            (
                "OSP__PROFILE",
                "staging",
                "profile (OSP__PROFILE) = \"staging\": one of development, production, test",
            ),
            (
                "OSP__MODE",
                "yolo",
                "mode (OSP__MODE) = \"yolo\": one of demo, paper, live",
            ),
            (
                "OSP__SERVER__TRUSTED_PROXIES",
                "127.0.0.1,proxy.local",
                "server.trusted_proxies (OSP__SERVER__TRUSTED_PROXIES) = \"proxy.local\": IP addresses of the reverse proxies",
            ),
            (
                "OSP__KITE__ENDPOINT",
                "zerodha",
                "kite.endpoint (OSP__KITE__ENDPOINT) = \"zerodha\": simulator, or an osp kite-sim",
            ),
            (
                "OSP__KITE__ENDPOINT",
                "ftp://kite",
                "kite.endpoint (OSP__KITE__ENDPOINT) = \"ftp://kite\": zerodha, simulator, or the",
            ),
            (
                "OSP__KITE__ENDPOINT",
                "http://127.0.0.1:9000/api?x=1",
                "kite.endpoint (OSP__KITE__ENDPOINT) = \"http://127.0.0.1:9000/api?x=1\": a server's root",
            ),
            (
                "OSP__PAPER__CAPITAL",
                "lots",
                "paper.capital (OSP__PAPER__CAPITAL) = \"lots\": an amount in rupees above zero",
            ),
            (
                "OSP__TRADING__STOP_FILL_GRACE_MS",
                "200",
                "trading.stop_fill_grace_ms (OSP__TRADING__STOP_FILL_GRACE_MS) = \"200\": a whole number from 1000 to 600000",
            ),
            (
                "OSP__PAPER__SLIPPAGE_BP",
                "900",
                "paper.slippage_bp (OSP__PAPER__SLIPPAGE_BP) = \"900\": a whole number from 0 to 500",
            ),
            (
                "OSP__DATABASE__MAX_CONNECTIONS",
                "0",
                "database.max_connections (OSP__DATABASE__MAX_CONNECTIONS) = \"0\": a whole number from 1 to 100",
            ),
            (
                "OSP__DATABASE__MAX_CONNECTIONS",
                "many",
                "a whole number from 1 to 100",
            ),
            (
                "OSP__LOG__FORMAT",
                "xml",
                "log.format (OSP__LOG__FORMAT) = \"xml\": pretty or json",
            ),
            (
                "OSP__LOG__FILTER",
                "info,[[[",
                "log.filter (OSP__LOG__FILTER)",
            ),
            (
                "OSP__DEMO__TICK_INTERVAL_MS",
                "5",
                "a whole number from 50 to 60000",
            ),
            (
                "OSP__SERVER__ADRR",
                "127.0.0.1:1",
                "server.adrr (OSP__SERVER__ADRR): no such setting",
            ),
        ];
        for (var, value, expected) in cases {
            let err = load_env(&[(var, value)]).unwrap_err().to_string();
            assert!(err.starts_with("invalid configuration: "), "{err}");
            assert!(err.contains(expected), "{var}={value}: got {err}");
            assert_eq!(err.lines().count(), 1, "{err}");
        }
    }

    #[test]
    fn each_mode_talks_to_its_own_kite() {
        use crate::config::KiteEndpoint;
        use kite_connect::common::urls::{KITE_API_ROOT, KiteEndpoints};
        let endpoint = |pairs: &[(&str, &str)]| load_env(pairs).map(|s| s.kite.endpoint);
        assert_eq!(endpoint(&[]).unwrap(), KiteEndpoint::Simulator);
        let zerodha = KiteEndpoint::Remote(KiteEndpoints::default());
        assert_eq!(endpoint(&[("OSP__MODE", "paper")]).unwrap(), zerodha);
        assert_eq!(endpoint(&[("OSP__MODE", "live")]).unwrap(), zerodha);
        assert_eq!(
            endpoint(&[("OSP__MODE", "paper"), ("OSP__KITE__ENDPOINT", "simulator")]).unwrap(),
            KiteEndpoint::Simulator
        );
        let KiteEndpoint::Remote(rehearsal) = endpoint(&[
            ("OSP__MODE", "live"),
            ("OSP__KITE__ENDPOINT", "http://127.0.0.1:9000/"),
            ("OSP__KITE__ALLOW_PLAIN_HTTP", "true"),
        ])
        .unwrap() else {
            panic!("a remote Kite")
        };
        assert_eq!(rehearsal.api_root, "http://127.0.0.1:9000");
        assert_eq!(rehearsal.ticker_url, "ws://127.0.0.1:9000/ws");
        assert_ne!(rehearsal.api_root, KITE_API_ROOT);
        let refused = endpoint(&[("OSP__MODE", "live"), ("OSP__KITE__ENDPOINT", "simulator")])
            .unwrap_err()
            .to_string();
        assert!(refused.contains("live mode"), "{refused}");
        // Demo shares a simulator in another process (plain http://), never Zerodha's https.
        let KiteEndpoint::Remote(shared) =
            endpoint(&[("OSP__KITE__ENDPOINT", "http://127.0.0.1:8711")]).unwrap()
        else {
            panic!("a shared simulator")
        };
        assert_eq!(shared.api_root, "http://127.0.0.1:8711");
        let refused = endpoint(&[("OSP__KITE__ENDPOINT", "https://api.kite.trade")])
            .unwrap_err()
            .to_string();
        assert!(refused.contains("demo mode"), "{refused}");
    }

    #[test]
    fn plain_text_outside_a_rehearsal_needs_a_named_opt_out() {
        // Live mode on http:// is refused, naming the opt-out; with it, it runs and warns.
        let live_http = [
            ("OSP__MODE", "live"),
            ("OSP__KITE__ENDPOINT", "http://10.0.0.9:8711"),
        ];
        let refused = load_env(&live_http).unwrap_err().to_string();
        assert!(refused.contains("kite.endpoint"), "{refused}");
        assert!(
            refused.contains("kite.allow_plain_http = true"),
            "{refused}"
        );
        let mut allowed = live_http.to_vec();
        allowed.push(("OSP__KITE__ALLOW_PLAIN_HTTP", "true"));
        let warnings = load_env(&allowed).unwrap().opt_outs();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].starts_with("kite.allow_plain_http"),
            "{warnings:?}"
        );
        // Paper and demo on a simulator's http:// need nothing; https:// never does.
        for pairs in [
            &[
                ("OSP__MODE", "paper"),
                ("OSP__KITE__ENDPOINT", "http://10.0.0.9:8711"),
            ][..],
            &[("OSP__KITE__ENDPOINT", "http://10.0.0.9:8711")][..],
            &[
                ("OSP__MODE", "live"),
                ("OSP__KITE__ENDPOINT", "https://kite.example.in"),
            ][..],
        ] {
            assert!(load_env(pairs).unwrap().opt_outs().is_empty(), "{pairs:?}");
        }

        // Production without HTTPS.
        let production = [("OSP__PROFILE", "production")];
        let refused = load_env(&production).unwrap_err().to_string();
        assert!(refused.contains("server.https"), "{refused}");
        assert!(
            refused.contains("server.allow_plain_http = true"),
            "{refused}"
        );
        let warnings = load_env(&[
            ("OSP__PROFILE", "production"),
            ("OSP__SERVER__ALLOW_PLAIN_HTTP", "true"),
        ])
        .unwrap()
        .opt_outs();
        assert!(
            warnings[0].starts_with("server.allow_plain_http"),
            "{warnings:?}"
        );
        let https = [
            ("OSP__PROFILE", "production"),
            ("OSP__SERVER__HTTPS", "true"),
        ];
        assert!(load_env(&https).unwrap().opt_outs().is_empty());

        // A plain-text bus to another machine in production; loopback and TLS need nothing.
        let with_bus = |url: &'static str, extra: &[(&'static str, &'static str)]| {
            let mut pairs = https.to_vec();
            pairs.push(("OSP__BUS__URL", url));
            pairs.extend_from_slice(extra);
            load_env(&pairs)
        };
        let refused = with_bus("redis://:hunter2@bus-host:6379", &[])
            .unwrap_err()
            .to_string();
        assert!(refused.contains("bus.allow_plain_text = true"), "{refused}");
        assert!(!refused.contains("hunter2"), "{refused}");
        let warnings = with_bus(
            "redis://bus-host:6379",
            &[("OSP__BUS__ALLOW_PLAIN_TEXT", "true")],
        )
        .unwrap()
        .opt_outs();
        assert!(
            warnings[0].starts_with("bus.allow_plain_text"),
            "{warnings:?}"
        );
        for url in [
            "redis://127.0.0.1:6379",
            "redis://localhost:6379",
            "redis://[::1]:6379",
            "rediss://bus-host:6380",
        ] {
            assert!(with_bus(url, &[]).unwrap().opt_outs().is_empty(), "{url}");
        }
        // Development keeps the plain-text default that needs nothing.
        assert!(
            load_env(&[("OSP__BUS__URL", "redis://bus-host:6379")])
                .unwrap()
                .opt_outs()
                .is_empty()
        );

        // A CA file only with TLS, and only one that exists; a switch is true or false.
        let refused = with_bus(
            "redis://127.0.0.1:6379",
            &[("OSP__BUS__CA_FILE", "/etc/hostname")],
        )
        .unwrap_err()
        .to_string();
        assert!(refused.contains("only with a rediss://"), "{refused}");
        let refused = with_bus(
            "rediss://bus-host:6380",
            &[("OSP__BUS__CA_FILE", "/no/such/ca.pem")],
        )
        .unwrap_err()
        .to_string();
        assert!(refused.contains("a readable PEM file"), "{refused}");
        // The channels' prefix: `osp` unless set; a name Redis channels can carry.
        assert_eq!(
            with_bus("redis://127.0.0.1:6379", &[]).unwrap().bus.prefix,
            "osp"
        );
        let second = with_bus(
            "redis://127.0.0.1:6379",
            &[("OSP__BUS__PREFIX", "desk-2.paper")],
        );
        assert_eq!(second.unwrap().bus.prefix, "desk-2.paper");
        for wrong in ["desk 2", "osp:x", "a*", &"p".repeat(33)] {
            let wrong: &'static str = Box::leak(wrong.to_owned().into_boxed_str());
            let refused = with_bus("redis://127.0.0.1:6379", &[("OSP__BUS__PREFIX", wrong)])
                .unwrap_err()
                .to_string();
            assert!(refused.contains("bus.prefix"), "{wrong}: {refused}");
            assert!(refused.contains("each installation"), "{wrong}: {refused}");
        }
        let refused = load_env(&[("OSP__KITE__ALLOW_PLAIN_HTTP", "yes please")])
            .unwrap_err()
            .to_string();
        assert!(refused.contains("true or false"), "{refused}");
    }

    #[test]
    fn secrets_never_appear_in_errors_or_debug_output() {
        let err = load_env(&[("DATABASE_URL", "mysql://root:hunter2@db/x")]).unwrap_err();
        assert!(err.to_string().contains("database.url"));
        assert!(!err.to_string().contains("hunter2"));

        let s = load_env(&[
            ("OSP__DATABASE__URL", "postgres://osp:hunter2@db/osp"),
            ("OSP__KITE__API_SECRET", "kite-secret-value"),
        ])
        .unwrap();
        let debug = format!("{s:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(!debug.contains("kite-secret-value"), "{debug}");
        assert_eq!(
            s.kite
                .api_secret
                .as_ref()
                .map(|s| s.expose_secret().to_owned()),
            Some("kite-secret-value".to_owned())
        );
    }
}
