//! Output checking: the rules a web service, extract or bundle passes before it may be public
//! (statistical disclosure control by two trained checkers, the "airlock" of trusted research
//! environments), as plain data with no storage or web types. Each module is one rule set,
//! tested on its own.

pub mod checklist;
pub mod review;
pub mod snapshot;
