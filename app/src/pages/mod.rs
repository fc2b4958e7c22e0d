//! One module per area of the site; each page loads its data through server functions and
//! posts its forms to plain handlers in the server crate.

mod account;
mod admin;
mod home;
mod projects;
mod sign_in;

pub use crate::components::layout::ErrorPage;
pub use account::AccountPage;
pub use admin::{UserRolesPage, UsersPage};
pub use home::HomePage;
pub use projects::{NewProjectPage, ProjectPage, ProjectsPage};
pub use sign_in::SignInPage;
