//! Components: the ONS Design System's patterns under `ons`, our own page furniture in `layout`,
//! quota gauges in `gauges` and SVG charts in `charts`.

pub mod charts;
pub mod gauges;
pub mod layout;
pub mod ons;
pub mod paging;
