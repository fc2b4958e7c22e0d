//! SQL, one module per aggregate. Every query in the portal lives here, written once for both
//! backends. Functions take `&Db` (or an open transaction) and return plain structs.

pub mod login_failures;
pub mod projects;
pub mod sessions;
pub mod tokens;
pub mod users;
