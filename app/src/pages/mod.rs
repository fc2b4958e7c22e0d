//! One module per area of the site; each page loads its data through server functions and
//! posts its forms to plain handlers in the server crate.

mod accelerator_use;
mod account;
mod acquisitions;
mod admin;
mod bookings;
mod home;
mod inventory;
mod operations;
mod output_checks;
mod projects;
mod public;
mod publishing;
mod resources;
mod settings;
mod sign_in;

pub use crate::components::layout::ErrorPage;
pub use accelerator_use::{ProjectAcceleratorsPage, UtilisationPage};
pub use account::{AccountPage, PasswordPage};
pub use acquisitions::{
    AcquisitionEthicsPage, AcquisitionPage, AcquisitionSectionPage, AcquisitionsPage, DatasetPage,
    DatasetsPage, RegisterPage,
};
pub use admin::{UserRolesPage, UsersPage};
pub use bookings::{BookingPage, BookingsPage, NewBookingPage};
pub use home::HomePage;
pub use inventory::{InventoryHostPage, InventoryPage};
pub use operations::{ApprovalsPage, AuditPage, NotificationsPage, OperationsPage};
pub(crate) use output_checks::checks_table;
pub use output_checks::{AskOutputCheckPage, OutputCheckPage, OutputChecksPage};
pub use projects::{NewProjectPage, ProjectPage, ProjectsPage};
pub use public::{CoursePage, ShowcasePage, ShowcaseProjectPage, TrainingPage};
pub use publishing::{
    AnnouncementsPage, ManageCoursePage, NewCoursePage, SearchPage, SessionPage, ShowcaseEditorPage,
};
pub(crate) use resources::resources_table;
pub use resources::{CataloguePage, NewRequestPage, RequestPage, RequestsPage};
pub(crate) use settings::ProjectHoldings;
pub use settings::{NewOfferingPage, OfferingPolicyPage, OfferingSettingsPage, ProjectQuotaPage};
pub use sign_in::SignInPage;
