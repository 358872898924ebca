//! `osp`: the OS Platforms command line. `osp serve` (the default) runs the web app and the
//! workers; `osp serve --no-workers` and `osp workers` run them apart (sharing a database and a
//! Redis bus); `osp migrate` applies database migrations and exits.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use osp_server::config::{self, Overrides, Settings};
use osp_server::database::Database;
use osp_server::startup::{Application, Role};
use osp_server::telemetry;
use tokio_util::sync::CancellationToken;

/// mimalloc instead of glibc's malloc: see server/Cargo.toml (measured in docs/PERFORMANCE.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CONFIG_HELP: &str = "\
Configuration (each layer overrides the one before):
  defaults → --config FILE (TOML) → LEPTOS_SITE_ADDR, LEPTOS_SITE_ROOT, DATABASE_URL
  → OSP__SECTION__KEY environment variables → command-line flags.
  In the development profile a .env file in the working directory is read too.

Keys (TOML key / environment variable, default):
  profile                    OSP__PROFILE                    development | production | test
  mode                       OSP__MODE                       demo (or paper: simulated fills on Kite's prices;
                                                             live: real orders at Kite)
  data_dir                   OSP__DATA_DIR                   ./data
  server.addr                OSP__SERVER__ADDR               127.0.0.1:3000
  server.site_root           OSP__SERVER__SITE_ROOT          next to the binary (target/site)
  database.url               OSP__DATABASE__URL              sqlite://<data_dir>/osp.db (osp-paper.db in paper mode)
  database.max_connections   OSP__DATABASE__MAX_CONNECTIONS  5
  log.format                 OSP__LOG__FORMAT                pretty (json in production)
  log.filter                 OSP__LOG__FILTER                info,osp_server=debug
  demo.tick_interval_ms      OSP__DEMO__TICK_INTERVAL_MS     500
  demo.seed                  OSP__DEMO__SEED                 42
  stream.max_updates_per_second  OSP__STREAM__MAX_UPDATES_PER_SECOND  4 (per browser)
  trading.square_off         OSP__TRADING__SQUARE_OFF        15:15 (IST; intraday trades)
  paper.slippage_bp          OSP__PAPER__SLIPPAGE_BP         5 (market fills, against you)
  paper.capital              OSP__PAPER__CAPITAL             1000000 (rupees, virtual)
  server.https               OSP__SERVER__HTTPS              false (true behind a TLS proxy: Secure cookies, HSTS;
                                                             production refuses false unless opted out below)
  server.allow_plain_http    OSP__SERVER__ALLOW_PLAIN_HTTP   false (true: production without https, warned at start)
  server.allowed_origins     OSP__SERVER__ALLOWED_ORIGINS    (none; origins a proxy serves the app under)
  server.trusted_proxies     OSP__SERVER__TRUSTED_PROXIES    (none; proxy IPs believed about X-Forwarded-For)
  auth.idle_timeout_secs     OSP__AUTH__IDLE_TIMEOUT_SECS    43200 (a session unused this long ends)
  auth.absolute_timeout_secs OSP__AUTH__ABSOLUTE_TIMEOUT_SECS  604800 (after sign-in, however busy)
  auth.login_attempts_per_minute  OSP__AUTH__LOGIN_ATTEMPTS_PER_MINUTE  10 (per address)
  auth.sign_in_attempts      OSP__AUTH__SIGN_IN_ATTEMPTS     5 (per username, known or not, at once)
  auth.sign_in_retry_seconds OSP__AUTH__SIGN_IN_RETRY_SECONDS 30 (then one attempt per this long)
  secrets.key                OSP__SECRETS__KEY               (required in production: `openssl rand -base64 32`;
                                                             elsewhere <data_dir>/secrets.key is made; never logged)
  kite.endpoint              OSP__KITE__ENDPOINT             simulator in demo; zerodha in paper and live;
                                                             or http://HOST:PORT (a Kite-compatible server)
  kite.allow_plain_http      OSP__KITE__ALLOW_PLAIN_HTTP     false (true: live mode on an http:// endpoint, such as
                                                             osp kite-sim for a rehearsal; warned at start)
  kite.api_key               OSP__KITE__API_KEY              (unset; the Kite app while none is saved)
  kite.api_secret            OSP__KITE__API_SECRET           (unset; never logged)
  bus.url                    OSP__BUS__URL                   (unset: one process; redis://HOST:PORT, or rediss://
                                                             for TLS, when the web side and the workers run
                                                             apart; never logged)
  bus.ca_file                OSP__BUS__CA_FILE               (unset: the system's CAs; a PEM CA for a rediss:// bus)
  bus.allow_plain_text       OSP__BUS__ALLOW_PLAIN_TEXT      false (true: production on redis:// to another machine,
                                                             warned at start)
  workers.lease_ttl_ms       OSP__WORKERS__LEASE_TTL_MS      15000 (a lease unrenewed this long passes to a standby)
  workers.kite_alerts_sync_ms  OSP__WORKERS__KITE_ALERTS_SYNC_MS  30000 (Kite's alerts read back)
  metrics.addr               OSP__METRICS__ADDR              127.0.0.1:9464 (or off; /metrics on its own listener)

Running apart (one machine is not enough):
  osp kite-sim (or Zerodha's Kite) · PostgreSQL · Redis, then any number of
  `osp serve --no-workers` and `osp workers` (a second one is a hot standby), each with the same
  OSP__DATABASE__URL, OSP__BUS__URL and OSP__KITE__ENDPOINT.";

#[derive(Debug, Parser)]
#[command(
    name = "osp",
    version,
    about = "OS Platforms: real-time, level-based trading for Zerodha Kite Connect",
    after_long_help = CONFIG_HELP
)]
struct Cli {
    /// TOML configuration file, layered over the defaults and under environment variables
    #[arg(long, global = true, value_name = "FILE", env = "OSP_CONFIG")]
    config: Option<PathBuf>,
    /// Settings profile: development, production or test
    #[arg(long, global = true, value_name = "PROFILE")]
    profile: Option<String>,
    /// Directory for the SQLite database and other local state (created if missing)
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the web app: UI, server functions, price stream (the default command)
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:3000 (overrides server.addr)
        #[arg(long, value_name = "IP:PORT")]
        addr: Option<String>,
        /// Run only the web side: prices and changes over the bus (bus.url), orders sent by
        /// `osp workers`
        #[arg(long)]
        no_workers: bool,
    },
    /// Run only the workers and Kite's ticker (level, trade and alert monitors, webhooks, Kite
    /// alerts sync), serving /health and /ready; needs bus.url. A second one stands by and
    /// takes over when the first stops
    Workers {
        /// Address for /health and /ready (overrides server.addr)
        #[arg(long, value_name = "IP:PORT")]
        addr: Option<String>,
    },
    /// Apply pending database migrations, then exit
    Migrate,
    /// Manage app users from the command line (the first admin, a forgotten password)
    #[command(subcommand)]
    User(UserCommand),
    /// Run the Kite simulator alone: Kite's REST API, login page (/connect/login) and binary
    /// ticker (/ws) on one address, for the official Kite clients or another osp to use
    KiteSim(KiteSimArgs),
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Add a user. The password is read from OSP_NEW_PASSWORD, else from the first line of
    /// standard input (never from the command line, where other users could read it)
    Create {
        /// The username (3-32 characters: a-z, digits, . _ -)
        #[arg(long)]
        username: String,
        /// Make an admin (the first user of a new installation must be one)
        #[arg(long, conflicts_with = "role")]
        admin: bool,
        /// admin, trader or viewer
        #[arg(long, default_value = "trader")]
        role: String,
    },
    /// Set a new password for a user; read like `create`'s
    ResetPassword {
        #[arg(long)]
        username: String,
    },
    /// List the users
    List,
}

#[derive(Debug, clap::Args)]
struct KiteSimArgs {
    /// Address to listen on (port 0 picks a free one; the address is printed)
    #[arg(long, value_name = "IP:PORT", default_value = "127.0.0.1:8711")]
    listen: String,
    /// The api_key clients must present
    #[arg(long, env = "OSP_SIM_API_KEY", default_value = "osp_sim")]
    api_key: String,
    /// The api_secret the session checksum is computed with. Unset: a new random one, printed
    /// at start (there is no default anyone could know)
    #[arg(long, env = "OSP_SIM_API_SECRET", hide_env_values = true)]
    api_secret: Option<String>,
    /// Where the login page sends the user back with request_token, action=login, status=success
    #[arg(long, value_name = "URL")]
    redirect_url: Option<String>,
    /// Seed of the simulated market (same seed, same prices)
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Redirect from the login page at once, without the one-button page
    #[arg(long)]
    auto_login: bool,
    /// Milliseconds between market steps
    #[arg(long, value_name = "MS", default_value_t = 250, value_parser = clap::value_parser!(u64).range(10..=60_000))]
    tick_ms: u64,
    /// Share of REST calls (0-100) that fail with 503, to test a client's resilience
    #[arg(long, value_name = "PERCENT", default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=100))]
    fail_percent: u8,
    /// Drop every ticker connection this often (seconds), to test reconnects; 0 never
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    drop_ticker_every: u64,
}

/// Turns transparent huge pages off for this process. mimalloc reserves its arena as one
/// 1 GiB mapping marked for huge pages (`madvise(MADV_HUGEPAGE)`), and the kernel's
/// khugepaged, passing minutes later, collapses any 2 MiB of it holding a single live page into
/// a whole huge page: the soak's web process gained 16 MB of huge pages at minute 11, the same
/// minute in every run, its heap unchanged. For processes of 30–60 MB the TLB gains nothing
/// worth memory that grows by itself. The flag is the process's: inherited by what it starts.
fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: PR_SET_THP_DISABLE takes an integer flag and no pointers.
        let done = unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
        if done != 0 {
            eprintln!(
                "osp: transparent huge pages could not be turned off for this process ({}); \
                 its memory may grow in 2 MiB steps",
                std::io::Error::last_os_error()
            );
        }
    }
}

fn main() -> ExitCode {
    no_transparent_huge_pages();
    let cli = Cli::parse();
    let addr = match &cli.command {
        Some(Command::Serve { addr, .. }) | Some(Command::Workers { addr }) => addr.clone(),
        _ => None,
    };
    let overrides = Overrides {
        config_file: cli.config,
        profile: cli.profile,
        addr,
        data_dir: cli.data_dir,
    };
    let settings = match config::load(&overrides) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("osp: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&settings.log);
    for warning in settings.opt_outs() {
        tracing::warn!("a protection is turned off: {warning}");
    }

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("osp: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command.unwrap_or(Command::Serve {
            addr: None,
            no_workers: false,
        }) {
            Command::Serve { no_workers, .. } => {
                let role = if no_workers { Role::Web } else { Role::All };
                serve(&settings, role).await
            }
            Command::Workers { .. } => serve(&settings, Role::Workers).await,
            Command::Migrate => migrate(&settings).await,
            Command::User(command) => user(&settings, command).await,
            Command::KiteSim(args) => kite_sim(args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "osp stopped with an error");
            eprintln!("osp: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: &Settings, role: Role) -> anyhow::Result<()> {
    let app = Application::build_as(settings, role).await?;
    let addr = app.local_addr()?;
    if role == Role::Workers {
        tracing::info!(%addr, mode = %settings.mode, "OS Platforms workers are running; health at http://{addr}/ready");
    } else {
        tracing::info!(
            %addr,
            mode = %settings.mode,
            profile = settings.profile.name(),
            "OS Platforms is running at http://{addr}"
        );
    }
    tokio::spawn(stop_on_signal(app.shutdown_token()));
    app.run_until_stopped().await
}

async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let database = Database::connect(&settings.database).await?;
    database.migrate().await?;
    tracing::info!(backend = database.backend_name(), "migrations applied");
    println!("migrations applied ({})", database.backend_name());
    database.close().await;
    Ok(())
}

async fn user(settings: &Settings, command: UserCommand) -> anyhow::Result<()> {
    use osp_server::users_cli;
    let database = Database::connect(&settings.database).await?;
    database.migrate().await?;
    let result = match command {
        UserCommand::Create {
            username,
            admin,
            role,
        } => {
            let role = if admin { "admin".to_owned() } else { role };
            let password = users_cli::read_password()?;
            users_cli::create(&database, settings, &username, &role, &password)
                .await
                .map(|line| println!("{line}"))
        }
        UserCommand::ResetPassword { username } => {
            let password = users_cli::read_password()?;
            users_cli::reset_password(&database, settings, &username, &password)
                .await
                .map(|line| println!("{line}"))
        }
        UserCommand::List => users_cli::list(&database, settings).await.map(|lines| {
            for line in lines {
                println!("{line}");
            }
        }),
    };
    database.close().await;
    result
}

async fn kite_sim(args: KiteSimArgs) -> anyhow::Result<()> {
    use anyhow::Context;
    use kite_sim::{KiteSim, RestFault, SimConfig};

    // No secret given: a fresh one, told to the operator once (never a well-known default).
    let (api_secret, made_up) = match args.api_secret.clone() {
        Some(secret) => (secret, false),
        None => {
            use rand::Rng as _;
            let mut rng = rand::rng();
            let secret: String = (0..32)
                .map(|_| {
                    char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[rng.random_range(0..36)])
                })
                .collect();
            (secret, true)
        }
    };
    let mut config = SimConfig::new(args.api_key.clone(), api_secret.clone());
    config.redirect_url = args.redirect_url;
    config.auto_login = args.auto_login;
    config.seed = args.seed;
    config.tick_interval = std::time::Duration::from_millis(args.tick_ms);
    let sim = KiteSim::new(config, std::sync::Arc::new(osp_server::clock::SystemClock));
    if args.fail_percent > 0 {
        sim.state
            .control
            .set_rest_failure_share(args.fail_percent, RestFault::ServerError);
    }
    if args.drop_ticker_every > 0 {
        let control = sim.state.control.clone();
        let every = std::time::Duration::from_secs(args.drop_ticker_every);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            loop {
                tick.tick().await;
                control.drop_connections();
            }
        });
    }
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {} (is the port taken?)", args.listen))?;
    let addr = listener
        .local_addr()
        .context("reading the listen address")?;
    let shutdown = CancellationToken::new();
    tokio::spawn(stop_on_signal(shutdown.clone()));
    sim.spawn_market(shutdown.clone());
    println!(
        "Kite simulator on http://{addr} (api_key {key}); log in at http://{addr}/connect/login?v=3&api_key={key}; ticker ws://{addr}/ws",
        key = args.api_key
    );
    if made_up {
        println!(
            "No --api-secret given: this run's api_secret is {api_secret} (pass --api-secret or OSP_SIM_API_SECRET to choose one)"
        );
    }
    sim.serve(listener, shutdown)
        .await
        .context("serving the Kite simulator")
}

/// Cancels `token` on SIGINT (Ctrl-C) or SIGTERM.
async fn stop_on_signal(token: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
    tracing::info!("shutdown signal received; finishing open requests");
    token.cancel();
}
