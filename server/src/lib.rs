//! Campus Portal server, laid out by role: who is acting and how they sign in (`auth/`), the
//! portal's pages' form posts and public pages (`web/`), the JSON API (`api/`), the resources'
//! own hosts and the proxy to them (`gateway/`), turning requests into resources
//! (`provision/`), uploads and their scanning (`uploads/`), health and downloads for operators
//! (`ops/`). `startup.rs` holds the route table and its layers. Domain rules live in
//! `campus-core`.

pub mod api;
pub mod auth;
pub mod cli;
pub mod config;
pub mod demo;
pub mod failpoint;
pub mod gateway;
pub mod layers;
pub mod mail;
pub mod ops;
pub mod provision;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod uploads;
pub mod web;
