//! The portal's own pages on the server side: the handlers of their form posts (each finds the
//! actor, calls one core service and answers 303), the public pages and their cache, live
//! progress, and the page furniture those answers share (notices, error pages).

pub mod acquisitions;
pub mod error_page;
pub mod flash;
pub mod forms;
pub mod live;
pub mod public_pages;
pub mod publishing;
pub mod requests;
pub mod settings;
