use crate::both_backends;
use crate::support::{api, count, location, token_with, Backend, Options, TestApp};
use campus_core::domain::Role;
use openidconnect::core::CoreIdToken;
use openidconnect::Nonce;

async fn spawn(backend: Backend) -> TestApp {
    TestApp::spawn_with(
        backend,
        Options {
            oidc: true,
            ..Options::default()
        },
    )
    .await
}

/// Starts a sign-in at the portal and logs `login` in at the provider; returns the callback URL.
async fn callback_for(app: &TestApp, login: &str) -> String {
    let r = app.get("/auth/oidc/start?next=/projects").await;
    assert_eq!(r.status().as_u16(), 303);
    let authorize = location(&r);
    assert!(
        authorize.contains("code_challenge_method=S256"),
        "PKCE S256 is used: {authorize}"
    );
    assert!(authorize.contains("nonce="), "a nonce is sent");
    app.oidc
        .as_ref()
        .unwrap()
        .log_in(&app.client, &authorize, login)
        .await
}

async fn signed_in_name(app: &TestApp) -> Option<String> {
    let (status, body) = app.get_text("/account").await;
    (status == 200).then(|| {
        body.split("<code>")
            .nth(1)
            .and_then(|s| s.split("</code>").next())
            .unwrap_or("")
            .to_owned()
    })
}

async fn a_staff_member_signs_in_through_the_provider(backend: Backend) {
    let app = spawn(backend).await;
    let callback = callback_for(&app, "alice").await;
    let r = app.client.get(&callback).send().await.unwrap();
    let status = r.status().as_u16();
    assert_eq!(
        status,
        303,
        "{}",
        if status == 303 {
            String::new()
        } else {
            r.text().await.unwrap()
        }
    );
    assert_eq!(location(&r), "/projects");
    assert_eq!(signed_in_name(&app).await.as_deref(), Some("alice"));
    // Keyed by (issuer, sub), with the role mapped from the IdP group.
    let (iss, sub): (String, String) =
        sqlx::query_as("SELECT oidc_issuer, oidc_subject FROM users WHERE username = 'alice'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(iss, app.oidc.as_ref().unwrap().issuer);
    assert_eq!(sub, "alice");
    let id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'alice'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let roles = campus_core::store::users::roles_of(&app.db, id)
        .await
        .unwrap();
    assert!(roles.has(campus_core::domain::Role::Staff));
    assert!(!roles.has(campus_core::domain::Role::Admin));
    // The provider's unix_account claim maps her workloads to her own account, audited.
    let user = campus_core::store::users::find(&app.db, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.unix_account.as_deref(), Some("campus-a"));
    assert_eq!(
        crate::support::count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'user.unix_account' AND after_value = 'campus-a'"
        )
        .await,
        1
    );
}

async fn groups_map_to_roles_and_follow_the_provider(backend: Backend) {
    let app = spawn(backend).await;
    let cb = callback_for(&app, "ada").await;
    app.client.get(&cb).send().await.unwrap();
    let (_, body) = app.get_text("/admin/users").await;
    assert!(
        body.contains("Users and roles"),
        "ada is an admin through the campus-admins group"
    );
}

/// While someone is signed in, the provider's word on their groups is read again: a group taken
/// away takes the role (and revokes the tokens whose scopes needed it) without a new sign-in,
/// and someone the organisation removed is signed out.
async fn roles_follow_the_provider_while_signed_in(backend: Backend) {
    let app = spawn(backend).await;
    let cb = callback_for(&app, "ozzy").await;
    app.client.get(&cb).send().await.unwrap();
    let ozzy: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'ozzy'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let roles = || async {
        campus_core::store::users::roles_of(&app.db, ozzy)
            .await
            .unwrap()
    };
    assert!(
        roles().await.has(Role::Operator),
        "an operator through campus-operators"
    );
    let token = token_with(&app, "ozzy", &["write".into(), "operate".into()]).await;
    let oidc =
        server::auth::oidc::client::OidcClient::new(app.config.oidc.clone().unwrap(), &app.base)
            .unwrap();
    // A minute between readings, so the session (30 minutes idle) outlives the test's clock.
    let every = 60;
    let now = campus_core::clock::now();
    // Not yet due: nothing is asked.
    let r = server::auth::oidc::resync::resync(&app.db, &oidc, every, now)
        .await
        .unwrap();
    assert_eq!(r.checked, 0);

    let issuer = app.oidc.as_ref().unwrap().issuer.clone();
    let hook = |path: &str| {
        let url = format!("{issuer}{path}");
        async move {
            let r = reqwest::Client::new().post(url).send().await.unwrap();
            assert_eq!(r.status().as_u16(), 204);
        }
    };
    hook("/__test/groups/ozzy?groups=campus-staff").await;
    let r = server::auth::oidc::resync::resync(&app.db, &oidc, every, now + every)
        .await
        .unwrap();
    assert_eq!((r.checked, r.changed, r.ended), (1, 1, 0));
    let now_roles = roles().await;
    assert!(
        !now_roles.has(Role::Operator) && now_roles.has(Role::Staff),
        "{now_roles:?}"
    );
    let (status, body) = api(&app, reqwest::Method::GET, "/api/v1/me", &token, None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("token_revoked"))
    );
    assert_eq!(
        signed_in_name(&app).await.as_deref(),
        Some("ozzy"),
        "still signed in"
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'user.roles_from_idp'"
        )
        .await,
        1
    );
    // Read again only when due.
    let r = server::auth::oidc::resync::resync(&app.db, &oidc, every, now + every + 30)
        .await
        .unwrap();
    assert_eq!(r.checked, 0);

    hook("/__test/remove/ozzy").await;
    let r = server::auth::oidc::resync::resync(&app.db, &oidc, every, now + 2 * every)
        .await
        .unwrap();
    assert_eq!((r.checked, r.ended), (1, 1));
    assert_eq!(
        signed_in_name(&app).await,
        None,
        "signed out once the provider refused"
    );
}

async fn a_reused_callback_is_refused(backend: Backend) {
    let app = spawn(backend).await;
    let cb = callback_for(&app, "alice").await;
    app.client.get(&cb).send().await.unwrap();
    app.post_form("/auth/sign-out", &[]).await;
    let r = app.client.get(&cb).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("expired or was already used"));
    assert_eq!(signed_in_name(&app).await, None);
}

async fn a_forged_state_is_refused(backend: Backend) {
    let app = spawn(backend).await;
    let cb = callback_for(&app, "alice").await;
    let forged = regex_replace_state(&cb, "forged-state");
    let r = app.client.get(&forged).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert!(r.text().await.unwrap().contains("does not match"));
    assert_eq!(signed_in_name(&app).await, None);
}

async fn a_missing_state_or_code_is_refused(backend: Backend) {
    let app = spawn(backend).await;
    let cb = callback_for(&app, "alice").await;
    let without_state = strip_param(&cb, "state");
    let r = app.client.get(&without_state).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(signed_in_name(&app).await, None);

    let cb = callback_for(&app, "alice").await;
    let without_code = strip_param(&cb, "code");
    let r = app.client.get(&without_code).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert!(r.text().await.unwrap().contains("no authorisation code"));
    assert_eq!(signed_in_name(&app).await, None);
}

async fn a_provider_error_is_shown_and_signs_nobody_in(backend: Backend) {
    let app = spawn(backend).await;
    let r = app.get("/auth/oidc/start").await;
    let authorize = location(&r);
    let state = param(&authorize, "state").unwrap();
    let r = app.get(&format!("/auth/oidc/callback?error=access_denied&error_description=User+cancelled&state={state}")).await;
    assert_eq!(r.status().as_u16(), 400);
    let body = r.text().await.unwrap();
    assert!(body.contains("access_denied"), "{body}");
    assert_eq!(signed_in_name(&app).await, None);
}

/// Fetches a real ID token from the provider for `login`, with the nonce the portal sent.
async fn real_id_token(
    app: &TestApp,
) -> (CoreIdToken, String, server::auth::oidc::client::OidcClient) {
    let cfg = server::config::OidcConfig {
        issuer: app.oidc.as_ref().unwrap().issuer.clone(),
        client_id: "campus-portal".into(),
        client_secret: "campus-portal-test-secret".into(),
        role_map: vec![],
        unix_account_claim: None,
        resync_minutes: 15,
    };
    let r = app.get("/auth/oidc/start").await;
    let authorize = location(&r);
    let nonce = param(&authorize, "nonce").unwrap();
    let cb = app
        .oidc
        .as_ref()
        .unwrap()
        .log_in(&app.client, &authorize, "alice")
        .await;
    let code = param(&cb, "code").unwrap();
    // The PKCE verifier is in the portal's session; read it from the store to exchange here.
    let data: String = sqlx::query_scalar("SELECT data FROM sessions")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&data).unwrap();
    let verifier = v["oidc_pending"]["pkce_verifier"]
        .as_str()
        .unwrap()
        .to_owned();
    let client = server::auth::oidc::client::OidcClient::new(cfg, &app.base).unwrap();
    let token = client.exchange(code, verifier).await.unwrap().id_token;
    (token, nonce, client)
}

async fn id_token_checks_refuse_tampering_expiry_wrong_nonce_and_audience(backend: Backend) {
    let app = spawn(backend).await;
    let (token, nonce, client) = real_id_token(&app).await;
    // The untouched token verifies.
    client
        .verify_id_token(&token, &Nonce::new(nonce.clone()), None)
        .await
        .expect("a genuine token verifies");
    // Wrong nonce.
    let e = client
        .verify_id_token(&token, &Nonce::new("other".into()), None)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("not valid"), "{e}");
    // Expired: checked as if two hours later.
    let later = chrono::Utc::now() + chrono::Duration::hours(2);
    assert!(client
        .verify_id_token(&token, &Nonce::new(nonce.clone()), Some(later))
        .await
        .is_err());
    // Tampered payload: flip the subject.
    let jwt = token.to_string();
    let mut parts: Vec<String> = jwt.split('.').map(str::to_owned).collect();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let payload = String::from_utf8(b64.decode(&parts[1]).unwrap())
        .unwrap()
        .replace("\"alice\"", "\"mallory\"");
    parts[1] = b64.encode(payload);
    let tampered: CoreIdToken = parts.join(".").parse().unwrap();
    assert!(client
        .verify_id_token(&tampered, &Nonce::new(nonce.clone()), None)
        .await
        .is_err());
    // Wrong audience: a client with another id must refuse the token.
    let other = server::auth::oidc::client::OidcClient::new(
        server::config::OidcConfig {
            issuer: app.oidc.as_ref().unwrap().issuer.clone(),
            client_id: "someone-else".into(),
            client_secret: "x".into(),
            role_map: vec![],
            unix_account_claim: None,
            resync_minutes: 15,
        },
        &app.base,
    )
    .unwrap();
    assert!(other
        .verify_id_token(&token, &Nonce::new(nonce), None)
        .await
        .is_err());
}

fn param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn strip_param(url: &str, name: &str) -> String {
    let mut u = url::Url::parse(url).unwrap();
    let kept: Vec<(String, String)> = u
        .query_pairs()
        .filter(|(k, _)| k != name)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    u.query_pairs_mut().clear().extend_pairs(kept);
    u.to_string()
}

fn regex_replace_state(url: &str, state: &str) -> String {
    let mut u = url::Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> = u
        .query_pairs()
        .map(|(k, v)| {
            if k == "state" {
                (k.into_owned(), state.to_owned())
            } else {
                (k.into_owned(), v.into_owned())
            }
        })
        .collect();
    u.query_pairs_mut().clear().extend_pairs(pairs);
    u.to_string()
}

both_backends!(
    a_staff_member_signs_in_through_the_provider,
    groups_map_to_roles_and_follow_the_provider,
    a_reused_callback_is_refused,
    roles_follow_the_provider_while_signed_in,
    a_forged_state_is_refused,
    a_missing_state_or_code_is_refused,
    a_provider_error_is_shown_and_signs_nobody_in,
    id_token_checks_refuse_tampering_expiry_wrong_nonce_and_audience,
);
