//! Crash points for the reliability test: with `CAMPUS_CRASH_AT=<point>` in its environment, the
//! process kills itself with SIGKILL the first time it reaches that point, exactly as a power cut
//! or the OOM killer would, with no destructors, flushes or rollbacks run. Unset (always, outside
//! that test), `hit` is one comparison against a value read once.

use std::sync::OnceLock;

static CRASH_AT: OnceLock<Option<String>> = OnceLock::new();

/// The points a provisioning passes, in order; the test kills a worker at each. A stop passes
/// `stopping` and a removal `destroying`.
pub const PROVISIONING: &[&str] = &[
    "claimed",
    "provisioning-recorded",
    "engine-called",
    "launched",
    "placed",
    "ready",
];

pub fn hit(point: &str) {
    let at = CRASH_AT.get_or_init(|| std::env::var("CAMPUS_CRASH_AT").ok());
    if at.as_deref() == Some(point) {
        tracing::warn!(point, "crash point reached: killing this process");
        // SAFETY: kill(2) on our own pid; SIGKILL cannot be caught, so nothing runs after it.
        unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
    }
}
