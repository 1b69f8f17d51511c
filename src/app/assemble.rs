//! `Saoma` from the config: the stores, the account database, the signing key, the WeChat
//! client, the providers that are configured, the limits and the cluster check.

use super::SCENE_GRACE;
use super::parts::open_store;
use crate::accounts::SqlAccounts;
use crate::config::{Config, OfficialAccountSettings};
use crate::limits::Limits;
use crate::login::{
    Admins, Cluster, KeyIds, Methods, Parts, Saoma, Settings, SmsCaps, SmsSettings,
};
use crate::metrics::Metrics;
use crate::shutdown::Shutdown;
use crate::sms::Inbox;
use crate::tokens::{Signer, TokenSettings};
use crate::webhooks::backchannel::LogoutSigner;
use crate::wechat::WeChatClient;
use anyhow::Context;
use std::sync::Arc;
use std::time::Duration;

/// What `Application::build` knows before `Saoma` exists.
pub(super) struct Setting<'a> {
    pub config: &'a Config,
    pub public_url: &'a url::Url,
    /// Where WeChat is: the real platform, or the embedded sandbox over loopback.
    pub api_base: url::Url,
    pub official_account: Option<OfficialAccountSettings>,
    /// The sandbox's SMS inbox, when the sandbox plays WeChat.
    pub sandbox_inbox: Option<Arc<Inbox>>,
    pub shutdown: Shutdown,
}

/// What `saoma` builds: `Saoma`, the hooks the HTTP server reports to (its metrics and trusted
/// proxies), and the cluster check, not started yet (see [`start_cluster`]).
pub(super) struct Assembled {
    pub saoma: Arc<Saoma>,
    pub hooks: saoma_http::Hooks,
    pub cluster: Arc<Cluster>,
    /// Where the webhook worker finds the OpenID Provider's logout-token signer, once built.
    pub logout: LogoutSigner,
}

pub(super) async fn saoma(setting: Setting<'_>) -> anyhow::Result<Assembled> {
    let Setting {
        config,
        public_url,
        api_base,
        official_account,
        sandbox_inbox,
        shutdown,
    } = setting;
    let sandbox = sandbox_inbox.is_some();
    let store = open_store(config)?;
    let accounts = Arc::new(
        SqlAccounts::connect(&config.database_url())
            .await
            .context("opening the account database")?
            .link_by_unionid(config.accounts.link_by_unionid)
            .sign_up(config.accounts.sign_up),
    );
    let signer = signer(config, public_url)?;
    let metrics = Arc::new(Metrics::new()?);
    metrics.set_sandbox(sandbox);
    let (logout, webhook_settings) = start_webhooks(config, &accounts, &metrics, &shutdown).await?;
    let wechat = WeChatClient::new(
        api_base,
        Duration::from_millis(config.wechat.timeout_ms),
        store.tokens.clone(),
    )?
    .with_metrics(metrics.clone());
    let limits = Arc::new(Limits::from_config(&config.limits)?);
    let mut methods = Methods::default();
    let setup = crate::methods::Setup {
        config,
        public_url,
        official_account: official_account.as_ref(),
        wechat: &wechat,
        metrics: &metrics,
        limiter: &store.limiter,
        limits: &limits,
    };
    crate::methods::register(&setup, &mut methods)?;
    let hooks = super::http::hooks(metrics.clone(), limits.proxies.clone(), limits.addresses);
    let sms = crate::sms::from_config(&config.sms, sandbox_inbox)
        .context("configuring the SMS sender")?;
    let cluster = Arc::new(Cluster::new(
        store.peers.clone(),
        accounts
            .database_id()
            .await
            .context("naming the account database")?,
        KeyIds {
            signing: signer.kid().to_string(),
            published: signer.published_kids().map(str::to_string).collect(),
        },
    ));
    if config.accounts.event_retention_days > 0 {
        let days = config.accounts.event_retention_days;
        let keep = Duration::from_secs(days.saturating_mul(86_400));
        crate::accounts::spawn_retention(accounts.clone(), keep);
    }
    crate::accounts::spawn_sso_sweep(accounts.clone());
    let client_resume = Arc::new(crate::oidc::OidcResume::new(Arc::clone(&store.ephemeral)));
    let saoma = Saoma::from(Parts {
        scenes: store.scenes,
        notifier: store.notifier,
        dedupe: store.dedupe,
        limiter: store.limiter,
        ephemeral: store.ephemeral,
        accounts: accounts.clone(),
        refresh_tokens: accounts.clone(),
        lifecycle: accounts.clone(),
        sso: accounts.clone(),
        client_resume,
        events: accounts.clone(),
        webhooks: accounts,
        webhook_settings,
        signer: Arc::new(signer),
        wechat,
        metrics,
        methods,
        settings: settings(config, public_url, sandbox)?,
        sms,
        limits,
        cluster: cluster.clone(),
        shutdown,
    });
    Ok(Assembled {
        saoma: Arc::new(saoma),
        hooks,
        cluster,
        logout,
    })
}

/// `[[webhooks]]` and the clients' `backchannel_logout_uri` written to the database, and this
/// instance's delivery worker started; where it will find the logout-token signer, and the
/// settings it read.
async fn start_webhooks(
    config: &Config,
    accounts: &Arc<SqlAccounts>,
    metrics: &Arc<Metrics>,
    shutdown: &Shutdown,
) -> anyhow::Result<(LogoutSigner, crate::webhooks::Settings)> {
    let settings = crate::webhooks::Settings::from_config(config)?;
    let endpoints = crate::webhooks::configured_endpoints(config, settings.policy)?;
    let backchannel = crate::webhooks::backchannel_endpoints(config, settings.policy)?;
    accounts
        .sync_configured_webhooks(&endpoints, settings.rotation_overlap)
        .await
        .context("writing [[webhooks]] to the database")?;
    accounts
        .sync_backchannel_endpoints(&backchannel)
        .await
        .context("writing the clients' backchannel_logout_uri to the database")?;
    let logout = LogoutSigner::default();
    crate::webhooks::Worker::new(
        accounts.clone(),
        settings.policy,
        settings.timeout,
        metrics.clone(),
        logout.clone(),
    )?
    .spawn(shutdown.clone());
    Ok((logout, settings))
}

/// Claim the RSA id_token keys too when the OpenID Provider is on, check once, then keep
/// checking in the background.
pub(super) async fn start_cluster(cluster: &Arc<Cluster>, oidc: Option<&crate::oidc::Oidc>) {
    if let Some(oidc) = oidc {
        cluster.claim_id_token_keys(KeyIds {
            signing: oidc.rsa.kid().to_string(),
            published: oidc.published.iter().map(|k| k.kid().to_string()).collect(),
        });
    }
    cluster.check().await;
    cluster.spawn_rechecks();
}

/// The access-token signing key; its issuer is the public URL unless `tokens.issuer` says.
fn signer(config: &Config, public_url: &url::Url) -> anyhow::Result<Signer> {
    Signer::load_or_generate(
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
    .context("loading the token signing key")?
    .with_published(&config.tokens.published_key_files)
}

/// How scenes behave, from `[limits]`, `[tokens]`, `[accounts]` and `[sms]`; a bad `[sms]`
/// value stops the start, naming the setting.
fn settings(config: &Config, public_url: &url::Url, sandbox: bool) -> anyhow::Result<Settings> {
    let scene_ttl = Duration::from_secs(config.limits.scene_ttl_seconds);
    let sms = &config.sms;
    let admins = Admins::from_config(&config.admin)?.with_machines(
        config
            .oidc
            .clients
            .iter()
            .filter(|c| c.grant_types.iter().any(|g| g == "client_credentials"))
            .map(|c| c.client_id.clone()),
    );
    Ok(Settings {
        scene_ttl,
        grace: SCENE_GRACE,
        interval_secs: config.limits.poll_interval_ms.div_ceil(1000).max(1),
        refresh_ttl: Duration::from_secs(config.tokens.refresh_ttl_seconds),
        secure_cookies: public_url.scheme() == "https",
        sandbox,
        require_phone: config.accounts.require_phone,
        admin: admin_plane(&admins),
        admins,
        sms: SmsSettings::new(
            SmsCaps {
                code_ttl_seconds: sms.code_ttl_seconds,
                max_attempts: sms.max_attempts,
                resend_interval_seconds: sms.resend_interval_seconds,
                max_per_scene: sms.max_per_scene,
                max_per_phone_per_hour: sms.max_per_phone_per_hour,
                max_per_ip_per_hour: sms.max_per_ip_per_hour,
                max_per_account_per_day: sms.max_per_account_per_day,
                budget_per_hour: sms.budget_per_hour,
                allowed_country_codes: &sms.allowed_country_codes,
            },
            scene_ttl + SCENE_GRACE,
        )?,
        avatars_url: public_url
            .join("avatars/")
            .unwrap_or_else(|_| public_url.clone()),
    })
}

/// Whether the admin plane answers: some `[[oidc.clients]]` entry may get admin tokens, or
/// `[admin]` names people (who log in to the console at `/admin/`). Said in the start log
/// either way.
fn admin_plane(admins: &Admins) -> bool {
    let machines = admins.has_machines();
    let on = machines || !admins.is_empty();
    if on {
        tracing::info!(
            machines,
            people = !admins.is_empty(),
            "admin API on at /admin/v1, console at /admin/ (people in [admin] log in there; machines get admin tokens by client_credentials)"
        );
    } else {
        tracing::info!(
            "admin API off (/admin/* answers 404): no [admin] accounts or phones, and no [[oidc.clients]] entry has grant_types = [\"client_credentials\"]"
        );
    }
    on
}
