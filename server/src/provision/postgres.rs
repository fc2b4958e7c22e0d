//! Dataset storage as a PostgreSQL database of the project's own, on a server the portal
//! administers (`STORAGE_POSTGRES_ADMIN_URL`). Each resource gets a login role and a database of
//! the same deterministic name, owned by that role and closed to everyone else.
//!
//! The role's password is not stored: it is an HMAC of the name under a key only the portal
//! holds, so the worker that makes the role and the page that hands out the connection settings
//! compute the same one, and provisioning again after a crash sets the same password.

use super::driver::{Health, Placement, Spec};
use super::DriverError;
use crate::config::DatabasesConfig;
use hmac::{Hmac, Mac};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::str::FromStr;

/// The offering tool that selects this engine for a storage resource.
pub use campus_core::requests::kind::DATABASE_TOOL as TOOL;

pub struct PgDatabases {
    admin: PgPool,
    prefix: String,
    key: Vec<u8>,
    host: String,
    port: u16,
}

/// What a person needs to connect, as the settings file hands it over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub host: String,
    pub port: u16,
    pub database: String,
    pub user: String,
    pub password: String,
}

impl Connection {
    /// libpq's environment variables, which psql, R's RPostgres and Python's psycopg all read,
    /// plus one URL for tools that want that instead.
    pub fn env_file(&self, title: &str) -> String {
        let title: String = title
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        format!(
            "# {title}\n# Keep this file private: it holds the database password.\n\
             PGHOST={host}\nPGPORT={port}\nPGDATABASE={db}\nPGUSER={user}\nPGPASSWORD={pw}\n\
             DATABASE_URL=postgresql://{user}:{pw}@{host}:{port}/{db}\n",
            host = self.host,
            port = self.port,
            db = self.database,
            user = self.user,
            pw = self.password,
        )
    }
}

fn transient(context: &str, e: sqlx::Error) -> DriverError {
    DriverError::Transient(format!("{context}: {e}"))
}

/// True for "already exists" from a concurrent attempt: duplicate object or database.
fn already_exists(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if matches!(d.code().as_deref(), Some("42710" | "42P04")))
}

impl PgDatabases {
    pub fn new(cfg: &DatabasesConfig) -> Result<PgDatabases, String> {
        let options = PgConnectOptions::from_str(&cfg.admin_url)
            .map_err(|e| format!("STORAGE_POSTGRES_ADMIN_URL is not a PostgreSQL URL: {e}"))?;
        let host = cfg
            .host_for_users
            .clone()
            .unwrap_or_else(|| options.get_host().to_owned());
        let port = options.get_port();
        Ok(PgDatabases {
            admin: PgPoolOptions::new()
                .max_connections(2)
                .acquire_timeout(std::time::Duration::from_secs(10))
                .connect_lazy_with(options),
            prefix: cfg.prefix.clone(),
            key: cfg.key.clone(),
            host,
            port,
        })
    }

    /// The database's and its role's name: the prefix, then `cp_<id>` (identifiers cannot
    /// hold the hyphen other engines use).
    pub fn name(&self, id: i64) -> String {
        format!("{}cp_{id}", self.prefix)
    }

    fn password(&self, name: &str) -> String {
        let mut mac =
            Hmac::<sha2::Sha256>::new_from_slice(&self.key).expect("HMAC takes a key of any size");
        mac.update(b"campus-portal database password\0");
        mac.update(name.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }

    pub fn connection(&self, id: i64) -> Connection {
        let name = self.name(id);
        Connection {
            host: self.host.clone(),
            port: self.port,
            password: self.password(&name),
            database: name.clone(),
            user: name,
        }
    }

    async fn exists(&self, sql: &str, name: &str) -> Result<bool, DriverError> {
        sqlx::query_scalar::<_, i32>(sql)
            .bind(name)
            .fetch_optional(&self.admin)
            .await
            .map(|r| r.is_some())
            .map_err(|e| transient("cannot reach the PostgreSQL server for databases", e))
    }

    async fn run(&self, sql: &str, what: &str) -> Result<(), DriverError> {
        match sqlx::query(sql).execute(&self.admin).await {
            Ok(_) => Ok(()),
            Err(e) if already_exists(&e) => Ok(()),
            Err(e) => Err(transient(what, e)),
        }
    }

    pub async fn provision(&self, spec: &Spec) -> Result<Placement, DriverError> {
        let c = self.connection(spec.id);
        // Names are the prefix (checked at start-up to be [a-z0-9_]) and digits; the password
        // is hex. Neither can close the quotes, and DDL takes no bind parameters.
        let role = &c.user;
        if self
            .exists("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
            .await?
        {
            self.run(
                &format!("ALTER ROLE \"{role}\" LOGIN PASSWORD '{}'", c.password),
                "cannot set the database role's password",
            )
            .await?;
        } else {
            self.run(
                &format!(
                    "CREATE ROLE \"{role}\" LOGIN PASSWORD '{}' CONNECTION LIMIT 20",
                    c.password
                ),
                "cannot make the database role",
            )
            .await?;
        }
        if !self
            .exists("SELECT 1 FROM pg_database WHERE datname = $1", &c.database)
            .await?
        {
            self.run(
                &format!("CREATE DATABASE \"{}\" OWNER \"{role}\"", c.database),
                "cannot make the database",
            )
            .await?;
        }
        self.run(
            &format!("REVOKE ALL ON DATABASE \"{}\" FROM PUBLIC", c.database),
            "cannot close the database to other roles",
        )
        .await?;
        Ok(Placement {
            external_id: c.database,
            ..Placement::default()
        })
    }

    pub async fn status(&self, spec: &Spec) -> Result<Health, DriverError> {
        let name = self.name(spec.id);
        Ok(
            if self
                .exists("SELECT 1 FROM pg_database WHERE datname = $1", &name)
                .await?
            {
                Health::Ready
            } else {
                Health::Missing
            },
        )
    }

    pub async fn usage(&self, spec: &Spec) -> Option<u64> {
        sqlx::query_scalar::<_, i64>("SELECT pg_database_size($1::text::name)")
            .bind(self.name(spec.id))
            .fetch_one(&self.admin)
            .await
            .ok()
            .and_then(|n| u64::try_from(n).ok())
    }

    /// Drops the database (ending its sessions) and then its role.
    pub async fn destroy(&self, spec: &Spec) -> Result<(), DriverError> {
        let name = self.name(spec.id);
        self.run(
            &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
            "cannot remove the database",
        )
        .await?;
        self.run(
            &format!("DROP ROLE IF EXISTS \"{name}\""),
            "cannot remove the database role",
        )
        .await
    }
}
