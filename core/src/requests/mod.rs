//! Resource requests (workspaces, storage, web services) as plain rules: their lifecycle, the
//! quota and capacity policies, what a resource is called and how it is reached, and the queue's
//! retry policy. No storage here: `services::resources` applies them.

pub mod capacity;
pub mod expiry;
pub mod identity;
pub mod kind;
pub mod lifecycle;
pub mod placement;
pub mod policy;
pub mod quota;
pub mod retry;
pub mod template;
