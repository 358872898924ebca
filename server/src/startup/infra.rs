//! The first builder: the database (connected, migrated, bound to its mode), the listen
//! address, the clock, the shutdown token, the bus to the other processes, and the secrets box.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use osp_core::ports::{Clock, LeaseStore};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::topology::{Role, Topology, layout_problem};
use crate::bus::RedisBus;
use crate::clock::SystemClock;
use crate::config::{Profile, Settings};
use crate::database::Database;
use crate::metrics;
use crate::secrets::SecretBox;
use crate::workers::Lease;

pub(super) struct Infra {
    pub database: Database,
    pub listener: TcpListener,
    /// The address bound (the port is known even when 0 was asked).
    pub addr: SocketAddr,
    pub clock: Arc<dyn Clock>,
    pub shutdown: CancellationToken,
    pub topology: Topology,
    /// Kite's secret and tokens, and the second factor's, are stored sealed under it.
    pub secrets: SecretBox,
    /// How long a lease lasts unrenewed (`workers.lease_ttl_ms`).
    pub lease_ttl: Duration,
}

impl Infra {
    pub async fn build(settings: &Settings, role: Role) -> anyhow::Result<Infra> {
        if let Some(problem) = layout_problem(settings, role) {
            anyhow::bail!(problem);
        }
        // Before anything is recorded: what start-up does (the login, the instruments) counts.
        metrics::handle();
        let database = Database::connect(&settings.database).await?;
        database.migrate().await?;
        // A database belongs to one mode: demo orders are never reconciled by the paper broker.
        database.claim_mode(settings.mode).await?;
        tracing::info!(backend = database.backend_name(), "database ready");

        let listener = bind(settings.server.addr).await?;
        let addr = listener.local_addr().context("reading the bound address")?;

        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let shutdown = CancellationToken::new();
        // The bus to the other processes, when there are any.
        let bus = match &settings.bus.url {
            Some(url) => {
                use secrecy::ExposeSecret;
                let bus = RedisBus::connect(
                    url.expose_secret(),
                    settings.bus.ca_file.as_deref(),
                    &settings.bus.prefix,
                    shutdown.clone(),
                )
                .await?;
                if !bus.wait_connected(Duration::from_secs(5)).await {
                    anyhow::bail!(
                        "the bus at {} accepted a connection but not a subscription: {}",
                        bus.figures().address,
                        bus.figures().last_error.unwrap_or_default()
                    );
                }
                tracing::info!(address = %bus.figures().address, prefix = %settings.bus.prefix, process = bus.process(), role = role.label(), "bus connected");
                Some(bus)
            }
            None => None,
        };
        // Kite's secret and tokens are stored sealed; production has to bring its own key.
        let secrets = SecretBox::load(
            settings.secrets.key.as_ref(),
            &settings.data_dir,
            settings.profile != Profile::Production,
        )?;
        Ok(Infra {
            database,
            listener,
            addr,
            clock,
            shutdown,
            topology: Topology { role, bus },
            secrets,
            lease_ttl: settings.workers.lease_ttl,
        })
    }

    /// A lease in the database named `name`, renewed every third of `workers.lease_ttl_ms`.
    pub fn lease(&self, name: &'static str) -> Arc<Lease> {
        Arc::new(Lease::new(
            Arc::new(self.database.clone()) as Arc<dyn LeaseStore>,
            self.clock.clone(),
            name,
            self.lease_ttl,
        ))
    }

    /// Where a Kite login comes back to: this server, as a browser on this machine sees it.
    pub fn callback_url(&self) -> String {
        let host = if self.addr.ip().is_unspecified() {
            SocketAddr::from(([127, 0, 0, 1], self.addr.port()))
        } else {
            self.addr
        };
        format!("http://{host}/kite/callback")
    }
}

async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).await.map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => anyhow::anyhow!(
            "cannot listen on {addr}: the address is already in use (is another osp running?); \
             choose another with --addr or OSP__SERVER__ADDR"
        ),
        std::io::ErrorKind::PermissionDenied => anyhow::anyhow!(
            "cannot listen on {addr}: permission denied (ports below 1024 need privileges); \
             choose another with --addr or OSP__SERVER__ADDR"
        ),
        _ => anyhow::Error::new(e).context(format!("cannot listen on {addr}")),
    })
}
