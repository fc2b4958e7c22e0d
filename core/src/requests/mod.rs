//! Resource requests (workspaces, storage, web services): their lifecycle and the quota policy.
//! Plain rules, no storage: the request service (to come with provisioning) applies them.

pub mod lifecycle;
pub mod quota;
