//! Builds every part from the config and returns the server. Tests call it with port 0.

mod http;
mod parts;

use parts::{code_pool, open_store, render_metrics, sandbox_official_account, wechat_api_base};

use crate::accounts::SqlAccounts;
use crate::api;
use crate::config::Config;
use crate::limits::Limits;
use crate::metrics::Metrics;
use crate::providers::{
    Cluster, MiniProgram, OfficialAccount, Saoma, Settings, SmsSettings, Website,
};
use crate::shutdown::Shutdown;
use crate::tokens::{Signer, TokenSettings};
use crate::web;
use crate::wechat::{AppCredentials, WeChatClient};
use anyhow::Context;
use poem::{EndpointExt, Route};
use saoma_sandbox::{Sandbox, SandboxConfig};
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
    limits: saoma_http::Limits,
    hooks: saoma_http::Hooks,
    local_addr: SocketAddr,
    public_url: url::Url,
    endpoint: poem::endpoint::BoxEndpoint<'static>,
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
        if let Some(reason) = config.sandbox_reason() {
            tracing::warn!(
                reason = reason.describe(),
                "SANDBOX MODE: WeChat is Saoma's embedded fake, logins prove nothing; \
                 never serve real users like this"
            );
        }
        let sandbox = if config.sandbox_enabled() {
            Some(Sandbox::open(SandboxConfig {
                data_dir: config.data_dir.clone(),
                public_url: public_url.clone(),
                official_account: official_account
                    .as_ref()
                    .map(|oa| sandbox_official_account(oa, local_addr))
                    .transpose()?,
            })?)
        } else {
            None
        };
        let api_base = wechat_api_base(&config, sandbox.is_some(), local_addr)?;

        let store = open_store(&config)?;
        let accounts = Arc::new(
            SqlAccounts::connect(&config.database_url())
                .await
                .context("opening the account database")?
                .link_by_unionid(config.accounts.link_by_unionid),
        );
        let signer = Signer::load_or_generate(
            &config.signing_key_file(),
            config.tokens.signing_key_file.is_none(),
            TokenSettings {
                issuer: config
                    .tokens
                    .issuer
                    .clone()
                    .unwrap_or_else(|| public_url.as_str().trim_end_matches('/').to_string()),
                audience: config.tokens.audience.clone(),
                access_ttl: Duration::from_secs(config.tokens.access_ttl_seconds),
            },
        )
        .context("loading the token signing key")?;
        let metrics = Arc::new(Metrics::new()?);
        metrics.set_sandbox(sandbox.is_some());
        let wechat = WeChatClient::new(
            api_base.clone(),
            Duration::from_millis(config.wechat.timeout_ms),
            store.tokens.clone(),
        )?
        .with_metrics(metrics.clone());
        let mini_program = config
            .mini_program_credentials()
            .map(|(app_id, secret)| MiniProgram {
                app: AppCredentials { app_id, secret },
                page: config.mini_program.page.clone(),
                env_version: config.mini_program.env_version.clone(),
                check_path: config.mini_program.check_path,
                width: config.mini_program.width,
            });
        let website = match config.website_credentials() {
            Some((app_id, secret)) => Some(Website {
                app: AppCredentials { app_id, secret },
                qrconnect_url: config.website_qrconnect_url(&public_url)?,
                callback_url: config.website_callback_url(&public_url)?,
                return_url: config.website_return_url(&public_url),
                allowed_return_urls: config.website.allowed_return_urls.clone(),
            }),
            None => None,
        };
        let limits = Arc::new(Limits::from_config(&config.limits)?);
        let http_limits = http::limits(&config.limits)?;
        let hooks = http::hooks(metrics.clone(), limits.proxies.clone());
        let code_pool = code_pool(
            &config,
            mini_program.as_ref(),
            &wechat,
            &metrics,
            (&store.limiter, limits.wxacode),
        );
        let official_account = official_account
            .map(|settings| OfficialAccount::from_settings(settings, config.accounts.unfollow))
            .transpose()?;
        let settings = Settings {
            scene_ttl: Duration::from_secs(config.limits.scene_ttl_seconds),
            grace: SCENE_GRACE,
            interval_secs: config.limits.poll_interval_ms.div_ceil(1000).max(1),
            refresh_ttl: Duration::from_secs(config.tokens.refresh_ttl_seconds),
            secure_cookies: public_url.scheme() == "https",
            sandbox: sandbox.is_some(),
            require_phone: config.accounts.require_phone,
            sms: SmsSettings {
                code_ttl: Duration::from_secs(config.sms.code_ttl_seconds),
                max_attempts: config.sms.max_attempts,
                resend_interval: Duration::from_secs(config.sms.resend_interval_seconds),
                max_per_phone_per_hour: config.sms.max_per_phone_per_hour,
                max_per_scene: config.sms.max_per_scene,
            },
        };
        let sms = crate::sms::from_config(&config.sms, sandbox.as_ref().map(Sandbox::sms_inbox))
            .context("configuring the SMS sender")?;
        let cluster = Arc::new(Cluster::new(
            store.peers.clone(),
            accounts
                .database_id()
                .await
                .context("naming the account database")?,
            signer.kid().to_string(),
        ));
        cluster.check().await;
        cluster.spawn_rechecks();
        let shutdown = Shutdown::new();
        let saoma = Arc::new(Saoma {
            scenes: store.scenes,
            notifier: store.notifier,
            dedupe: store.dedupe,
            limiter: store.limiter,
            ephemeral: store.ephemeral,
            accounts: accounts.clone(),
            refresh: accounts,
            signer: Arc::new(signer),
            wechat,
            metrics: metrics.clone(),
            mini_program,
            code_pool,
            website,
            official_account,
            settings,
            sms,
            limits: limits.clone(),
            cluster,
            shutdown: shutdown.clone(),
        });

        let issuer = saoma.signer.settings().issuer.clone();
        let oidc = crate::oidc::Oidc::from_config(&config, saoma.clone(), issuer)
            .context("configuring the OpenID Provider ([oidc])")?;

        let api = api::service();
        let route = web::mount(Route::new()).at("/metrics", poem::get(render_metrics));
        let mut route = web::mount_docs(route, api.swagger_ui_html(), api.spec(), api.swagger_ui());
        if let Some(sandbox) = &sandbox {
            route = route.nest("/sandbox", web::sandbox_helpers(sandbox.routes()));
        }
        if let Some(oidc) = oidc {
            route = crate::oidc::mount(route, oidc);
        }
        // The operations live under fixed prefixes; each mount gets its own (cheap) service.
        let route = route
            .nest_no_strip("/api", api)
            .at("/healthz", api::service())
            .at("/readyz", api::service())
            .nest_no_strip("/.well-known", api::service());
        let max_body = config.limits.max_body_bytes;
        let max_headers = config.limits.max_header_bytes;
        let endpoint = route
            .around(move |ep, req| api::body_limit(ep, req, max_body))
            .around(move |ep, req| api::header_limit(ep, req, max_headers))
            .catch_all_error(api::json_errors)
            .around(api::access_log)
            .data(saoma)
            .boxed();
        let endpoint = web::allow_origins(endpoint, &config.web.cors_origins)?
            .around(web::security_headers)
            .boxed();

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
            limits: http_limits,
            hooks,
            local_addr,
            public_url,
            endpoint,
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
        tokio::select! {
            served = server.run(grace) => served,
            never = async move {
                signal.await;
                futures::future::pending().await
            } => never,
        }
    }
}
