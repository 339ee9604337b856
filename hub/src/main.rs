//! `homelabcmd`: the HomelabCmd hub.
//!
//! `homelabcmd serve` (the default) starts the API, the dashboard and the
//! background tasks, configured from `HOMELAB_CMD_*` variables (see the
//! README); `homelabcmd generate-key` prints a new encryption key;
//! `homelabcmd audit verify` checks the audit hash chain and
//! `homelabcmd rotate-key` re-encrypts stored secrets under a new key.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use base64::Engine as _;
use clap::{Parser, Subcommand};
use homelabcmd::config::Config;
use homelabcmd::db::Db;
use homelabcmd::state::AppState;
use rand::Rng as _;
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "homelabcmd",
    version,
    about = "HomelabCmd hub: fleet API, metrics store and dashboard"
)]
struct Cli {
    /// YAML config file (also HOMELAB_CMD_CONFIG); env variables override it.
    #[arg(short, long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the hub (default).
    Serve,
    /// Print a new random 32-byte encryption key, base64-encoded, for
    /// HOMELABCMD_ENCRYPTION_KEY.
    GenerateKey,
    /// Audit trail maintenance.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Re-encrypt every stored credential and SSH key under a new key (one
    /// transaction), then set HOMELABCMD_ENCRYPTION_KEY to it.
    RotateKey {
        /// The new base64 key (prefer the env variable: argv is visible to
        /// other local users).
        #[arg(long, env = "HOMELABCMD_NEW_ENCRYPTION_KEY", hide_env_values = true)]
        new_key: Option<String>,
    },
    /// Configuration packs (docs/packs.md).
    Packs {
        #[command(subcommand)]
        command: PacksCommand,
    },
}

#[derive(Subcommand)]
enum PacksCommand {
    /// Check every pack in DIR (default HOMELAB_CMD_PACKS_DIR or ./packs);
    /// errors are printed as file:line:column; exit 1 if any pack is bad.
    Validate { dir: Option<PathBuf> },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the audit hash chain; exit 1 naming the first bad row.
    Verify,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::GenerateKey => {
            let mut key = [0u8; 32];
            rand::rng().fill_bytes(&mut key);
            println!("{}", base64::engine::general_purpose::STANDARD.encode(key));
            std::process::ExitCode::SUCCESS
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => offline(cli.config.as_deref(), |c| async move {
            homelabcmd::admin_cli::audit_verify(&c).await
        }),
        Command::RotateKey { new_key } => offline(cli.config.as_deref(), |c| async move {
            homelabcmd::admin_cli::rotate_key(&c, new_key.as_deref()).await
        }),
        Command::Packs {
            command: PacksCommand::Validate { dir },
        } => homelabcmd::compliance::packs_dir::validate_cli(dir.as_deref()),
        Command::Serve => {
            let config = match Config::from_env(cli.config.as_deref()) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("homelabcmd: configuration error: {e}");
                    return std::process::ExitCode::from(2);
                }
            };
            init_tracing(config.debug);
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .expect("tokio runtime");
            match runtime.block_on(serve(config)) {
                Ok(()) => std::process::ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!(error = ?e, "hub stopped");
                    eprintln!("homelabcmd: {e:#}");
                    std::process::ExitCode::FAILURE
                }
            }
        }
    }
}

/// Run a maintenance subcommand with the same configuration as `serve`.
fn offline<F, Fut>(file: Option<&std::path::Path>, run: F) -> std::process::ExitCode
where
    F: FnOnce(Config) -> Fut,
    Fut: std::future::Future<Output = std::process::ExitCode>,
{
    let config = match Config::from_env(file) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("homelabcmd: configuration error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(run(config))
}

fn init_tracing(debug: bool) {
    let default = if debug {
        "homelabcmd=debug,tower_http=debug,info"
    } else {
        "info"
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default)),
        )
        .with_writer(std::io::stderr)
        .init();
}

async fn serve(config: Config) -> anyhow::Result<()> {
    if config.uses_default_api_key() {
        tracing::warn!(
            "!!! HOMELAB_CMD_API_KEY is not set: the hub accepts the well-known default key. \
             Anyone who can reach this port can read and change your fleet. Set a secret key. !!!"
        );
    }
    if config.encryption_key.is_none() {
        tracing::warn!(
            "HOMELABCMD_ENCRYPTION_KEY is not set: SSH credentials cannot be stored \
             (generate one with `homelabcmd generate-key`)"
        );
    }
    let packs = homelabcmd::compliance::packs_dir::load_at_start(
        &homelabcmd::compliance::packs_dir::dir_from_env(),
    );
    let db = Db::open(&config.database_path).await?;
    let addr = SocketAddr::new(config.host, config.port);
    let state = AppState::new(db, config).with_packs(packs);
    homelabcmd::compliance::apply::recover(&state).await;
    tokio::spawn(homelabcmd::fleet::retention::run(state.clone()));
    tokio::spawn(homelabcmd::costs::snapshots::run(state.clone()));
    tokio::spawn(homelabcmd::notify::worker::run(state.clone()));
    tokio::spawn(homelabcmd::alerts::runner::run(state.clone()));
    tokio::spawn(homelabcmd::compliance::scheduler::run(state.clone()));
    tokio::spawn(homelabcmd::actions::resume(state.clone()));

    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    let bound = listener.local_addr()?;
    if let Some(path) = &state.config.addr_file {
        write_addr_file(path, bound)
            .with_context(|| format!("writing the address file {}", path.display()))?;
    }
    tracing::info!(
        address = %bound,
        database = %state.config.database_path.display(),
        "HomelabCmd hub listening"
    );
    let app = homelabcmd::app::app(state.clone());
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    // Let in-flight writes finish and checkpoint the WAL into the main file.
    state.db.write.close().await;
    state.db.read.close().await;
    tracing::info!("hub stopped cleanly");
    Ok(())
}

/// Write `ip:port` to `path` through a temporary file and a rename, so a
/// reader polling for it never sees a partial address.
fn write_addr_file(path: &std::path::Path, bound: SocketAddr) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    std::fs::write(&tmp, bound.to_string())?;
    std::fs::rename(&tmp, path)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutdown signal received");
}
