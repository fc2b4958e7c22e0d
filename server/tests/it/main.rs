//! Integration tests: the real router, a fresh database per test on SQLite and on PostgreSQL,
//! and real peers (the OIDC provider) where a test needs them.

mod accelerator_use;
mod acquisitions;
mod api;
mod bookings;
mod cli;
mod contract;
mod crash;
mod databases;
mod gateway;
mod inventory;
mod isolation;
mod local_sign_in;
mod mail;
mod oidc;
mod output_checks;
mod paging;
mod passwords;
mod placement;
mod projects;
mod publishing;
mod queue;
mod requests;
mod security;
mod settings;
mod slurm;
mod support;
mod tokens;
mod training_sessions;
mod workloads;
