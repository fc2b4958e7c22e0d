//! The portal's own pages on the server side: the handlers of their form posts (each finds the
//! actor, calls one core service and answers 303), the public pages and their cache, live
//! progress, and the page furniture those answers share (notices, error pages).

pub mod acquisitions;
pub mod bookings;
pub mod error_page;
pub mod flash;
pub mod inventory;
pub mod live;
pub mod output_checks;
pub mod page_cache;
pub mod people;
pub mod projects;
pub mod public_pages;
pub mod publishing;
pub mod requests;
pub mod settings;
