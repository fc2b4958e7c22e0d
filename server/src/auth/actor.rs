//! Who is acting on a request.

use crate::state::AppState;
use campus_core::authz::Actor;
use campus_core::services::accounts;
use campus_core::CoreError;
use tower_sessions::Session;

/// The signed-in actor behind this session, if any.
pub async fn session_actor(
    state: &AppState,
    session: &Session,
) -> Result<Option<Actor>, CoreError> {
    match session.get::<i64>(app::forms::keys::USER_ID).await {
        Ok(Some(id)) => accounts::actor(&state.db, id).await,
        Ok(None) => Ok(None),
        Err(e) => Err(CoreError::Internal(e.to_string())),
    }
}

#[macro_export]
macro_rules! actor_or_refuse {
    ($state:expr, $session:expr) => {
        match $crate::auth::actor::session_actor(&$state, &$session).await {
            Ok(a) => a,
            Err(e) => return $crate::web::flash::refused(e),
        }
    };
}
