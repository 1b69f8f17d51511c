use anyhow::Context;
use clap::{Parser, Subcommand};
use saoma::app::Application;
use saoma::config::Config;
use std::net::SocketAddr;
use std::path::PathBuf;

/// `saoma --version`: the package version and the commit it was built from (build.rs).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("BUILD_GIT_COMMIT"),
    ")"
);

/// Saoma (扫码): WeChat scan-to-login server.
#[derive(Parser)]
#[command(version = VERSION, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the login API, the demo page and (without WeChat credentials) the sandbox. Default.
    Serve(ServeArgs),
    /// Serve the fake WeChat platform alone, for several Saoma instances or a load test.
    Sandbox {
        #[arg(long, default_value = "127.0.0.1:8081")]
        listen: SocketAddr,
        #[arg(long, default_value = "data/sandbox")]
        data_dir: PathBuf,
        /// Saoma's public URL, which the sandbox's codes point phones at.
        #[arg(long)]
        public_url: Option<url::Url>,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Exit 0 when the local instance answers `/readyz` with 200, else 1 saying why: a
    /// container's HEALTHCHECK without curl in the image.
    Healthcheck(HealthcheckArgs),
}

#[derive(clap::Args)]
struct HealthcheckArgs {
    /// Config file, as given to `saoma serve`: the instance is asked at its `listen` address.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Ask this URL instead (e.g. `http://127.0.0.1:8081/healthz` for `saoma sandbox`).
    #[arg(long)]
    url: Option<url::Url>,
}

#[derive(clap::Args, Default)]
struct ServeArgs {
    /// Config file (default: ./saoma.toml when present).
    #[arg(long)]
    config: Option<PathBuf>,
    #[arg(long)]
    listen: Option<SocketAddr>,
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        None => serve(ServeArgs::default()).await,
        Some(Command::Serve(args)) => serve(args).await,
        Some(Command::Sandbox {
            listen,
            data_dir,
            public_url,
        }) => {
            saoma::telemetry::init("text", "info");
            let stop = saoma::shutdown::signal();
            saoma_sandbox::serve_standalone(listen, data_dir, public_url, stop).await
        }
        Some(Command::Openapi) => {
            println!("{}", saoma::app::spec_json());
            Ok(())
        }
        Some(Command::Healthcheck(args)) => healthcheck(args).await,
    }
}

async fn healthcheck(args: HealthcheckArgs) -> anyhow::Result<()> {
    let url = match args.url {
        Some(url) => url,
        None => {
            let config = Config::load(args.config.as_deref())?;
            readiness_url(config.listen)?
        }
    };
    let answer = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(3))
        .build()?
        .get(url.clone())
        .send()
        .await
        .with_context(|| format!("asking {url}"))?;
    let status = answer.status();
    let body = answer.text().await.unwrap_or_default();
    anyhow::ensure!(status.is_success(), "{url} answered {status}: {body}");
    println!("{url} answered {status}");
    Ok(())
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let mut config = Config::load(args.config.as_deref())?;
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    if let Some(dir) = args.data_dir {
        config.data_dir = dir;
    }
    saoma::telemetry::init(&config.log.format, &config.log.filter);
    let app = Application::build(config).await.context("starting saoma")?;
    println!("Saoma is running. Open {} in a browser.", app.public_url());
    app.run_until_stopped().await.context("serving")
}

/// `/readyz` at `listen`, asked on loopback when it listens on every address.
fn readiness_url(listen: SocketAddr) -> anyhow::Result<url::Url> {
    let mut address = listen;
    if address.ip().is_unspecified() {
        address.set_ip(match listen {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    url::Url::parse(&format!("http://{address}/readyz")).context("the readiness URL")
}
