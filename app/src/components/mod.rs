//! Components: the ONS Design System's patterns under `ons`, our own page furniture in `layout`.

pub mod gauges;
pub mod layout;
pub mod ons;
pub mod paging;
