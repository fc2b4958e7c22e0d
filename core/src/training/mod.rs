//! Rules for training sessions (cohorts): what a booking must say, when sandboxes are made and
//! removed, and how each attendee's sandbox reads on the roster. Plain Rust.

pub mod session;
