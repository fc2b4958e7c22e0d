//! The network's scarcest hardware, its GPU units and TPU machines, as plain rules: booking
//! time on them ahead (`bookings.rs`). Issue 15 builds the inventory of devices, the stored
//! bookings and the Slurm reservations that enforce them on these rules.

pub mod bookings;
pub mod calendar;
