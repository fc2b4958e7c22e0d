//! The network's scarcest hardware, its GPU units and TPU machines, as plain rules: booking
//! time on them ahead (`bookings.rs`), the calendar feed (`calendar.rs`), and how much of what
//! was booked was used (`usage.rs`). The stored bookings and the Slurm reservations that
//! enforce them are built on these rules.

pub mod bookings;
pub mod calendar;
pub mod usage;
