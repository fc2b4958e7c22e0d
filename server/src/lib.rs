//! Campus Portal server: configuration, the router and its layers, sign-in, sessions, form
//! handlers, the JSON API and the admin CLI. Domain rules live in `campus-core`.

pub mod acquisition_forms;
pub mod api;
pub mod api_acquisitions;
pub mod api_operations;
pub mod api_public;
pub mod api_resources;
pub mod api_settings;
pub mod auth;
pub mod cli;
pub mod config;
pub mod demo;
pub mod demo_catalogue;
pub mod demo_showcase;
pub mod error_page;
pub mod exports;
pub mod failpoint;
pub mod flash;
pub mod forms;
pub mod gateway;
pub mod ingest;
pub mod layers;
pub mod live;
pub mod mail;
pub mod provision;
pub mod proxy;
pub mod public_pages;
pub mod publishing_forms;
pub mod resource_forms;
pub mod scanner;
pub mod session_store;
pub mod settings_forms;
pub mod startup;
pub mod state;
pub mod telemetry;
