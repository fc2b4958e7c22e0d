//! Promotion of finished work to the office's data service: the rules a promotion passes
//! through, from a lead's request to the receiving CI's verdict, as plain data with no storage,
//! Git or web types.

pub mod status;
