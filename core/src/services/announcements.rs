//! Status banners: operators publish and withdraw them; every page shows what is current.

use crate::authz::{self, Action, Actor, Object};
use crate::clock;
use crate::db::Db;
use crate::error::CoreError;
use crate::publishing::announcement::{self as rules, Form};
use crate::services::audit_context;
use crate::store::announcements::{self as store, Announcement};
use crate::store::showcase::bump_generation;

/// What shows now, for every page. Open to anyone.
pub async fn showing(db: &Db) -> Result<Vec<Announcement>, CoreError> {
    Ok(store::showing(db, clock::now()).await?)
}

/// The recent ones, for the operators' page.
pub async fn recent(db: &Db, actor: Option<&Actor>) -> Result<Vec<Announcement>, CoreError> {
    authz::check(actor, Action::ViewOperations, Object::Portal)?;
    Ok(store::recent(db, 50).await?)
}

pub async fn publish(db: &Db, actor: Option<&Actor>, form: &Form) -> Result<i64, CoreError> {
    authz::check(actor, Action::Operate, Object::Portal)?;
    let now = clock::now();
    let new = rules::parse(form, now).map_err(CoreError::Invalid)?;
    let by = actor.map(|a| a.user_id).unwrap_or_default();
    let mut tx = db.pool.begin().await?;
    let id = store::insert(&mut tx, &new, by, now).await?;
    bump_generation(&mut tx).await?;
    audit_context::record(
        &mut tx,
        actor,
        "announcement",
        "announcement.publish",
        id,
        "",
        &new.message,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn withdraw(db: &Db, actor: Option<&Actor>, id: i64) -> Result<(), CoreError> {
    authz::check(actor, Action::Operate, Object::Portal)?;
    let mut tx = db.pool.begin().await?;
    if !store::withdraw(&mut tx, id, clock::now()).await? {
        return Err(CoreError::field(
            "announcement",
            "That announcement has already ended or been withdrawn",
        ));
    }
    bump_generation(&mut tx).await?;
    audit_context::record(
        &mut tx,
        actor,
        "announcement",
        "announcement.withdraw",
        id,
        "",
        "",
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
