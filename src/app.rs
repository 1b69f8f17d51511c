//! Builds every part from the config and returns the server. Tests call it with port 0.

mod assemble;
mod http;
mod openapi;
mod parts;
mod routes;

pub use openapi::spec_json;

use parts::{open_sandbox, wechat_api_base};

use crate::config::Config;
use crate::login::Cluster;
use crate::shutdown::Shutdown;
use anyhow::Context;
use saoma_sandbox::Sandbox;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// How long finished or expired scenes stay readable (410 rather than 404).
const SCENE_GRACE: Duration = Duration::from_secs(120);
const SWEEP_EVERY: Duration = Duration::from_secs(5);

pub struct Application {
    listener: tokio::net::TcpListener,
    shutdown: Shutdown,
    grace: Duration,
    limits: saoma_http::ConnectionLimits,
    hooks: saoma_http::Hooks,
    local_addr: SocketAddr,
    public_url: url::Url,
    endpoint: poem::endpoint::BoxEndpoint<'static>,
    /// Its key claims are withdrawn once the server has stopped.
    cluster: Arc<Cluster>,
}

impl Application {
    /// Bind the listener, open the stores and the database, and assemble the routes.
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        config.check()?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("binding {}", config.listen))?;
        let local_addr = listener.local_addr()?;
        let public_url = match &config.public_url {
            Some(url) => url.clone(),
            None => url::Url::parse(&format!("http://{local_addr}/"))?,
        };
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!("creating the data directory {}", config.data_dir.display())
        })?;
        let official_account = config.official_account_settings()?;
        let sandbox = open_sandbox(&config, &public_url, official_account.as_ref(), local_addr)?;
        let api_base = wechat_api_base(&config, sandbox.is_some(), local_addr)?;
        let shutdown = Shutdown::new();
        let assemble::Assembled {
            saoma,
            hooks,
            cluster,
            logout,
        } = assemble::saoma(assemble::Setting {
            config: &config,
            public_url: &public_url,
            api_base: api_base.clone(),
            official_account,
            sandbox_inbox: sandbox.as_ref().map(Sandbox::sms_inbox),
            shutdown: shutdown.clone(),
        })
        .await?;
        let issuer = saoma.signer().settings().issuer.clone();
        let oidc = crate::oidc::Oidc::from_config(&config, saoma.clone(), issuer, &public_url)
            .context("configuring the OpenID Provider ([oidc])")?;
        if let Some(oidc) = &oidc {
            logout.set(oidc.clone());
        }
        assemble::start_cluster(&cluster, oidc.as_deref()).await;
        let table = routes::routes(
            oidc.is_some(),
            saoma.settings().admin,
            sandbox.as_ref().map(Sandbox::routes),
        );
        let endpoint = routes::endpoint(table, saoma, oidc, &config)?;
        tracing::info!(
            %local_addr,
            %public_url,
            wechat = %if sandbox.is_some() { "sandbox" } else { api_base.as_str() },
            "saoma ready"
        );
        Ok(Application {
            listener,
            shutdown,
            grace: Duration::from_secs(config.shutdown_grace_seconds),
            limits: http::limits(&config.limits)?,
            hooks,
            local_addr,
            public_url,
            endpoint,
            cluster,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn public_url(&self) -> &url::Url {
        &self.public_url
    }

    /// Serve until Ctrl-C or SIGTERM, then shut down gracefully (see `shutdown`).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let signal = crate::shutdown::signal();
        self.run_until(signal).await
    }

    /// Serve until `signal` resolves: stop accepting, tell SSE streams to reconnect elsewhere,
    /// let in-flight requests finish for at most `shutdown_grace_seconds`.
    pub async fn run_until(self, signal: impl Future<Output = ()>) -> std::io::Result<()> {
        let shutdown = self.shutdown.clone();
        let grace = self.grace;
        let signal = async move {
            signal.await;
            tracing::info!(
                grace_seconds = grace.as_secs(),
                "shutting down: not accepting, streams told to reconnect"
            );
            shutdown.trigger();
        };
        let server = saoma_http::Server::new(
            self.listener,
            self.endpoint,
            self.limits,
            self.hooks,
            self.shutdown.subscribe(),
        )?;
        let cluster = self.cluster;
        tokio::select! {
            served = server.run(grace) => {
                cluster.release().await;
                served
            }
            never = async move {
                signal.await;
                futures::future::pending().await
            } => never,
        }
    }
}
