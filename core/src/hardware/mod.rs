//! The Campus hardware as operators keep it: what a host and a device may be, and when one may
//! be changed, drained or retired.

pub mod changes;
