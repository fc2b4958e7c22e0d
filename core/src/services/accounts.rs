//! Signing in (local accounts and the identity provider), the actor behind a session,
//! and a person's own tokens and sessions.

use crate::authz::{self, Action, Actor, Object};
use crate::clock;
use crate::db::Db;
use crate::domain::{DisplayName, Email, RoleSet, Username};
use crate::error::{CoreError, FieldErrors};
use crate::password;
use crate::services::audit_context::record as audit;
use crate::store::{login_failures, sessions, tokens, users};
use crate::throttle::{Decision, ThrottlePolicy};
use crate::token_scope::{Lifetime, Scope, Scopes};

/// The actor for a signed-in user id, with the roles they hold now; `None` if the account is gone.
pub async fn actor(db: &Db, user_id: i64) -> Result<Option<Actor>, CoreError> {
    if users::find(db, user_id).await?.is_none() {
        return Ok(None);
    }
    Ok(Some(Actor::person(
        user_id,
        users::roles_of(db, user_id).await?,
    )))
}

/// Checks a local user name and password tried from `address` (the client's IP address),
/// throttling repeated failures ([`ThrottlePolicy`]).
pub async fn sign_in_local(
    db: &Db,
    policy: ThrottlePolicy,
    address: &str,
    raw_username: &str,
    password_attempt: &str,
) -> Result<users::User, CoreError> {
    let mut errors = FieldErrors::new();
    if raw_username.trim().is_empty() {
        errors.add("username", "Enter your user name");
    }
    if password_attempt.is_empty() {
        errors.add("password", "Enter your password");
    }
    errors.into_result()?;
    // Throttle on the name as typed (normalised), whether or not the account exists.
    let name = raw_username.trim().to_lowercase();
    let now = clock::now();
    let since = now - policy.window_secs;
    let recent = login_failures::relevant_since(db, &name, address, since).await?;
    let overall = login_failures::latest_since(db, since, policy.max_overall as i64).await?;
    if let Decision::Wait {
        retry_after_secs,
        limit,
    } = policy.decide(now, &name, address, &recent, &overall)
    {
        return Err(CoreError::Throttled {
            retry_after_secs,
            limit,
        });
    }
    let stored = users::password_hash(db, &name).await?;
    let ok = password::verify(
        password_attempt.to_owned(),
        stored.as_ref().map(|(_, h)| h.clone()),
    )
    .await;
    match (ok, stored) {
        (true, Some((id, _))) => {
            login_failures::clear(db, &name, address).await?;
            users::record_sign_in(db, id).await?;
            audit_sign_in(db, id, "user.sign_in", "local account", address).await?;
            users::find(db, id)
                .await?
                .ok_or(CoreError::NotFound("user"))
        }
        (false, Some((id, _))) => {
            login_failures::record(db, &name, address, now).await?;
            audit_sign_in(db, id, "user.sign_in_failed", "wrong password", address).await?;
            Err(CoreError::BadCredentials)
        }
        _ => {
            login_failures::record(db, &name, address, now).await?;
            Err(CoreError::BadCredentials)
        }
    }
}

pub struct NewAccount<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub email: &'a str,
    pub password: &'a str,
    pub roles: RoleSet,
}

/// Creates a local account. Used by bootstrap, the CLI and demo content, which act with the
/// operator's authority on the machine rather than as a signed-in actor.
pub async fn create_local_account(db: &Db, new: NewAccount<'_>) -> Result<i64, CoreError> {
    let mut errors = FieldErrors::new();
    let username = errors.check("username", Username::parse(new.username));
    let display = errors.check("display_name", DisplayName::parse(new.display_name));
    let email = errors.check("email", Email::parse(new.email));
    errors.check("password", password::check_strength(new.password));
    errors.into_result()?;
    let (username, display, email) = (username.unwrap(), display.unwrap(), email.unwrap());
    let hash = password::hash(new.password.to_owned()).await?;
    users::insert_local(
        db,
        users::NewLocalUser {
            username: username.as_str(),
            display_name: display.as_str(),
            email: email.as_str(),
            password_hash: hash.as_str(),
            roles: &new.roles,
        },
    )
    .await
    .map_err(|e| {
        if crate::error::is_unique_violation(&e) {
            CoreError::field("username", "That user name is already taken")
        } else {
            e.into()
        }
    })
}

/// A verified identity from the identity provider.
#[derive(Debug)]
pub struct VerifiedIdentity {
    pub issuer: String,
    pub subject: String,
    pub preferred_username: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub roles: RoleSet,
    /// The Unix account the IdP says is theirs (OIDC_UNIX_ACCOUNT_CLAIM), if it sends one.
    pub unix_account: Option<String>,
}

/// Finds or creates the account for a verified OIDC identity, signing in from `address`, and
/// returns its id.
pub async fn sign_in_oidc(db: &Db, id: VerifiedIdentity, address: &str) -> Result<i64, CoreError> {
    // A usable user name from what the IdP offers, falling back to one derived from the subject.
    let hint = id
        .preferred_username
        .as_deref()
        .or(id.email.as_deref().and_then(|e| e.split('@').next()))
        .and_then(|s| Username::parse(s).ok())
        .map(Username::into_inner)
        .unwrap_or_else(|| {
            let digest = crate::store::tokens::digest(&format!("{}|{}", id.issuer, id.subject));
            format!("user-{}", &digest[..10])
        });
    let display = id
        .name
        .as_deref()
        .and_then(|n| DisplayName::parse(n).ok())
        .map(DisplayName::into_inner)
        .unwrap_or_else(|| hint.clone());
    let email = id
        .email
        .as_deref()
        .and_then(|e| Email::parse(e).ok())
        .map(Email::into_inner)
        .unwrap_or_default();
    let user_id = users::upsert_oidc(
        db,
        users::OidcIdentity {
            issuer: &id.issuer,
            subject: &id.subject,
            username: &hint,
            display_name: &display,
            email: &email,
            idp_roles: &id.roles,
        },
    )
    .await?;
    if let Some(raw) = id.unix_account.as_deref() {
        map_from_idp(db, user_id, raw).await?;
    }
    revoke_tokens_beyond_roles(db, None, user_id).await?;
    audit_sign_in(db, user_id, "user.sign_in", "identity provider", address).await?;
    Ok(user_id)
}

/// The IdP's word on a person's Unix account, kept in step at each sign-in. A name that is not
/// an account name, or that someone else already holds, is logged and left out: sign-in goes
/// on, and their workloads are refused with the reason until an operator sorts it out.
async fn map_from_idp(db: &Db, user_id: i64, raw: &str) -> Result<(), CoreError> {
    let account = match crate::requests::identity::UnixAccount::parse(raw) {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(user_id, claim = raw, error = %e, "the identity provider's Unix account was not used");
            return Ok(());
        }
    };
    let mut tx = db.pool.begin().await?;
    let holder = users::holder_of_unix_account(&mut tx, account.as_str()).await?;
    if holder == Some(user_id) {
        return Ok(());
    }
    if let Some(other) = holder {
        tracing::warn!(
            user_id,
            other,
            account = account.as_str(),
            "the identity provider's Unix account is already someone else's"
        );
        return Ok(());
    }
    let before = users::find(db, user_id)
        .await?
        .and_then(|u| u.unix_account)
        .unwrap_or_default();
    users::set_unix_account(&mut tx, user_id, Some(account.as_str())).await?;
    crate::services::audit_context::record(
        &mut tx,
        None,
        "user",
        "user.unix_account",
        user_id,
        &before,
        account.as_str(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn list_tokens(
    db: &Db,
    actor: Option<&Actor>,
) -> Result<Vec<tokens::TokenInfo>, CoreError> {
    let me = own(actor)?;
    Ok(tokens::list(db, me).await?)
}

/// What a new token is to be: as typed in the form (or sent by a script).
pub struct NewToken<'a> {
    pub name: &'a str,
    /// Days until it ends; blank for the default.
    pub days: &'a str,
    /// Scope names asked for beyond `read`, which every token has.
    pub scopes: &'a [String],
}

/// Makes a personal access token and returns its secret, to be shown once. A token ends within
/// `lifetime`, and carries a role's scope only for a role its owner holds. A token cannot make
/// another: only the person, signed in, can.
/// `signed_in_at` is when the person's session signed in: making a token needs it recent.
pub async fn create_token(
    db: &Db,
    actor: Option<&Actor>,
    new: NewToken<'_>,
    lifetime: Lifetime,
    signed_in_at: Option<i64>,
) -> Result<String, CoreError> {
    let me = own(actor)?;
    if actor.is_some_and(|a| a.token.is_some()) {
        return Err(authz::Denied::Forbidden(
            "a token cannot make tokens: sign in to the portal to make one".into(),
        )
        .into());
    }
    if !crate::recent_sign_in::is_recent(signed_in_at, clock::now()) {
        let (link, message) = crate::recent_sign_in::sign_in_again("/account", "make a token");
        return Err(CoreError::field(&link, message));
    }
    let owner_roles = users::roles_of(db, me).await?;
    let mut errors = FieldErrors::new();
    let name = new.name.trim();
    if name.is_empty() {
        errors.add(
            "name",
            "Enter a name for the token, like \"laptop scripts\"",
        );
    } else if name.chars().count() > 60 {
        errors.add("name", "Token name must be 60 characters or fewer");
    }
    let days = errors.check("days", lifetime.days(new.days));
    let mut scopes = Vec::new();
    for asked in new.scopes {
        match Scope::parse(asked) {
            None => errors.add("scopes", format!("There is no scope called {asked:?}")),
            Some(s) => match s.role() {
                Some(role) if !owner_roles.has(role) => {
                    let role = role.label().to_lowercase();
                    let article = if role.starts_with(['a', 'e', 'i', 'o', 'u']) {
                        "an"
                    } else {
                        "a"
                    };
                    errors.add(
                        "scopes",
                        format!(
                            "You are not {article} {role}, so a token of yours cannot have the {} scope",
                            s.as_str()
                        ),
                    )
                }
                _ => scopes.push(s),
            },
        }
    }
    errors.into_result()?;
    let scopes = Scopes::new(scopes);
    let expires_at = clock::now() + days.unwrap_or(lifetime.default_days) * 86_400;
    let mut tx = db.pool.begin().await?;
    let (id, secret) = tokens::create(&mut tx, me, name, scopes, expires_at).await?;
    let detail = format!(
        "{name} (scopes: {scopes}; ends {})",
        clock::format_utc(expires_at)
    );
    audit(&mut tx, actor, "token", "token.create", id, "", &detail).await?;
    tx.commit().await?;
    Ok(secret)
}

pub async fn revoke_token(db: &Db, actor: Option<&Actor>, token_id: i64) -> Result<(), CoreError> {
    let me = own(actor)?;
    let mut tx = db.pool.begin().await?;
    if !tokens::revoke(&mut tx, me, token_id).await? {
        return Err(CoreError::NotFound("token"));
    }
    audit(
        &mut tx,
        actor,
        "token",
        "token.revoke",
        token_id,
        "",
        "revoked",
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn list_sessions(
    db: &Db,
    actor: Option<&Actor>,
) -> Result<Vec<sessions::StoredSession>, CoreError> {
    let me = own(actor)?;
    Ok(sessions::for_user(db, me, clock::now()).await?)
}

/// Ends every session of the actor, on every device, including the current one, and revokes
/// every API token: someone who fears a device was taken fears for what it held.
pub async fn sign_out_everywhere(db: &Db, actor: Option<&Actor>) -> Result<u64, CoreError> {
    let me = own(actor)?;
    let mut tx = db.pool.begin().await?;
    let ended = sessions::delete_for_user(&mut tx, me).await?;
    let revoked = tokens::revoke_all(&mut tx, me).await?;
    // A calendar address is a secret like a token: whoever may have taken one loses it too.
    let calendar = if crate::store::bookings::drop_feed(&mut tx, me).await? {
        ", calendar address stopped"
    } else {
        ""
    };
    audit(
        &mut tx,
        actor,
        "user",
        "user.sign_out_everywhere",
        me,
        "",
        &format!("{ended} sessions ended, {revoked} tokens revoked{calendar}"),
    )
    .await?;
    tx.commit().await?;
    Ok(ended)
}

/// A new password for one's own local account, as typed.
pub struct PasswordChange<'a> {
    pub current: &'a str,
    pub new: &'a str,
    pub confirm: &'a str,
}

/// Changes the actor's own password, which they prove they know. Every other session of theirs
/// ends (`this_session` is kept): whoever else held one may have known the old password. Tokens
/// stay, as they were never the password's to give.
pub async fn change_password(
    db: &Db,
    actor: Option<&Actor>,
    change: PasswordChange<'_>,
    this_session: &str,
) -> Result<u64, CoreError> {
    let me = own(actor)?;
    if actor.is_some_and(|a| a.token.is_some()) {
        return Err(authz::Denied::Forbidden("a token cannot change a password".into()).into());
    }
    let Some(stored) = users::password_hash_of(db, me).await? else {
        return Err(CoreError::field(
            "current_password",
            "Your password is kept by your organisation: change it there",
        ));
    };
    let mut errors = FieldErrors::new();
    if change.current.is_empty() {
        errors.add("current_password", "Enter your current password");
    } else if !password::verify(change.current.to_owned(), Some(stored)).await {
        errors.add("current_password", "Your current password is not right");
    }
    if let Err(e) = password::check_strength(change.new) {
        errors.add("new_password", e);
    } else if change.new == change.current {
        errors.add(
            "new_password",
            "Choose a password other than your current one",
        );
    }
    if errors.get("new_password").is_none() && change.confirm != change.new {
        errors.add("confirm_password", "The two new passwords are not the same");
    }
    errors.into_result()?;
    let hash = password::hash(change.new.to_owned()).await?;
    let mut tx = db.pool.begin().await?;
    users::set_password(&mut tx, me, hash.as_str()).await?;
    let ended = sessions::delete_others(&mut tx, me, this_session).await?;
    audit(
        &mut tx,
        actor,
        "user",
        "user.password_change",
        me,
        "",
        &format!("{ended} other sessions ended"),
    )
    .await?;
    tx.commit().await?;
    Ok(ended)
}

/// The identity provider's current word on a person's groups, read again while they are signed
/// in: their IdP roles become `roles`, audited when they change, and tokens whose scopes need a
/// role they lost are revoked. True when anything changed.
pub async fn sync_idp_roles(db: &Db, user_id: i64, roles: &RoleSet) -> Result<bool, CoreError> {
    let before = users::idp_roles_of(db, user_id).await?;
    if &before == roles {
        return Ok(false);
    }
    users::set_idp_roles(db, user_id, roles).await?;
    let names = |r: &RoleSet| r.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(", ");
    let mut conn = db.pool.acquire().await?;
    audit(
        &mut conn,
        None,
        "user",
        "user.roles_from_idp",
        user_id,
        &names(&before),
        &names(roles),
    )
    .await?;
    drop(conn);
    revoke_tokens_beyond_roles(db, None, user_id).await?;
    Ok(true)
}

/// Revokes a person's tokens whose scopes need a role they no longer hold (taken away in the
/// portal or by the identity provider's groups), with an audit entry when any were. Until then a
/// token already acts without the lost role (`Scopes::roles_of` reads the owner's roles now);
/// revoking makes that permanent, so giving the role back does not revive it.
pub async fn revoke_tokens_beyond_roles(
    db: &Db,
    actor: Option<&Actor>,
    user_id: i64,
) -> Result<u64, CoreError> {
    let roles = users::roles_of(db, user_id).await?;
    let lost: Vec<Scope> = Scope::ALL
        .into_iter()
        .filter(|s| s.role().is_some_and(|r| !roles.has(r)))
        .collect();
    let mut tx = db.pool.begin().await?;
    let mut revoked = 0;
    for scope in &lost {
        revoked += tokens::revoke_with_scope(&mut tx, user_id, *scope).await?;
    }
    if revoked > 0 {
        audit(
            &mut tx,
            actor,
            "user",
            "token.revoke",
            user_id,
            "",
            &format!(
                "{revoked} tokens revoked: their owner no longer holds the role a scope needs"
            ),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(revoked)
}

/// A sign-in, or a failed one, in the audit trail with the address it came from. Failures for
/// names nobody holds are counted for throttling but not audited: they are noise an attacker
/// controls, and the trail is append-only.
async fn audit_sign_in(
    db: &Db,
    user_id: i64,
    action: &str,
    how: &str,
    address: &str,
) -> Result<(), CoreError> {
    let mut conn = db.pool.acquire().await?;
    let actor = (action == "user.sign_in").then(|| Actor::person(user_id, RoleSet::default()));
    audit(
        &mut conn,
        actor.as_ref(),
        "user",
        action,
        user_id,
        "",
        &format!("{how} from {address}"),
    )
    .await?;
    Ok(())
}

fn own(actor: Option<&Actor>) -> Result<i64, CoreError> {
    let id = actor.map(|a| a.user_id).unwrap_or_default();
    authz::check(actor, Action::ManageAccount, Object::User { id })?;
    Ok(id)
}
