//! Data acquisitions: the rules an application passes through on its way into the Campus
//! network (planned acquisition, data control, ethics review), as plain data with no storage or
//! web types. Each module is one rule set, tested on its own.

pub mod classification;
pub mod decision;
pub mod ethics;
pub mod ingest;
pub mod retention;
pub mod sections;
