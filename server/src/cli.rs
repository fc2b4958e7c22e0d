//! The admin CLI in the server binary, so operators and scripts can bootstrap without a browser.

use crate::config::Config;
use crate::startup::{open_database, Application};
use campus_core::domain::{Role, RoleSet};
use campus_core::services::accounts::{self, NewAccount};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "server",
    about = "Campus Portal: serve the portal, or administer it from the command line"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the portal (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Run a provisioning worker on its own (as well as, or instead of, the one inside serve).
    Worker,
    /// Create a local account. Prints a generated password unless --password-env names a variable holding one.
    CreateUser {
        #[arg(long)]
        username: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
        /// Repeat for several roles: staff, reviewer, output_checker, operator, admin, partner.
        #[arg(long = "role", required = true)]
        roles: Vec<Role>,
        /// Name of an environment variable that holds the password (keeps it out of shell history).
        #[arg(long)]
        password_env: Option<String>,
    },
    /// Create a personal access token for a user and print it.
    CreateToken {
        #[arg(long)]
        user: String,
        #[arg(long, default_value = "command line")]
        name: String,
        /// Scopes beyond read, separated by commas: write, review, operate, admin.
        #[arg(long, default_value = "write")]
        scopes: String,
        /// Days until it ends (API_TOKEN_DAYS if not given).
        #[arg(long, default_value = "")]
        days: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Start(#[from] crate::startup::StartError),
    #[error("{0}")]
    Core(String),
    #[error("server stopped: {0}")]
    Io(#[from] std::io::Error),
}

fn core(e: campus_core::CoreError) -> CliError {
    match e {
        campus_core::CoreError::Invalid(f) => CliError::Core(
            f.0.iter()
                .map(|(k, m)| format!("{k}: {m}"))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        other => CliError::Core(other.to_string()),
    }
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    let config = Config::from_env()?;
    crate::telemetry::init(config.log_json);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = Application::build(config.clone()).await?;
            println!(
                "Campus Portal is running at {} (press Ctrl+C to stop)",
                config.public_url
            );
            if config.demo_content {
                let names: Vec<&str> = crate::demo::DEMO_USERS.iter().map(|u| u.0).collect();
                println!(
                    "Sign in at {}/sign-in as {} with the password {}",
                    config.public_url,
                    names.join(", "),
                    crate::demo::DEMO_PASSWORD
                );
            }
            app.run_until_stopped().await?;
        }
        Command::Worker => {
            let db = open_database(&config).await?;
            let databases = crate::provision::databases(&config.provisioning)
                .map_err(crate::startup::StartError::Databases)?;
            let worker = crate::startup::worker_for(&config, db, databases)
                .map_err(crate::startup::StartError::Workloads)?;
            println!("Provisioning worker running (press Ctrl+C to stop)");
            tokio::select! {
                () = worker.run(config.provisioning.worker_concurrency) => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Command::Migrate => {
            open_database(&config).await?;
            println!("Migrations applied.");
        }
        Command::CreateUser {
            username,
            name,
            email,
            roles,
            password_env,
        } => {
            let db = open_database(&config).await?;
            let (password, generated) = match password_env {
                Some(var) => (
                    std::env::var(&var).map_err(|_| {
                        CliError::Core(format!("environment variable {var} is not set"))
                    })?,
                    false,
                ),
                None => (campus_core::password::generate(), true),
            };
            let id = accounts::create_local_account(
                &db,
                NewAccount {
                    username: &username,
                    display_name: &name,
                    email: &email,
                    password: &password,
                    roles: RoleSet::new(roles),
                },
            )
            .await
            .map_err(core)?;
            println!("Created user {username} (id {id}).");
            if generated {
                println!("Password (shown once): {password}");
            }
        }
        Command::CreateToken {
            user,
            name,
            scopes,
            days,
        } => {
            let db = open_database(&config).await?;
            let found = campus_core::store::users::find_by_username(&db, &user.to_lowercase())
                .await
                .map_err(|e| CliError::Core(e.to_string()))?
                .ok_or_else(|| CliError::Core(format!("there is no user called {user}")))?;
            let actor = accounts::actor(&db, found.id).await.map_err(core)?;
            let scopes: Vec<String> = scopes
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            let new = accounts::NewToken {
                name: &name,
                days: &days,
                scopes: &scopes,
            };
            // Whoever runs the command on the portal's machine has signed in to it just now.
            let now = Some(campus_core::clock::now());
            let token =
                accounts::create_token(&db, actor.as_ref(), new, config.token_lifetime, now)
                    .await
                    .map_err(core)?;
            println!("{token}");
        }
    }
    Ok(())
}
