use anyhow::Context;
use clap::{Parser, Subcommand};
use saoma::app::Application;
use saoma::config::Config;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Saoma (扫码): WeChat scan-to-login server.
#[derive(Parser)]
#[command(version, about)]
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
            saoma_sandbox::serve_standalone(listen, data_dir, public_url).await
        }
        Some(Command::Openapi) => {
            println!("{}", saoma::app::spec_json());
            Ok(())
        }
    }
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
