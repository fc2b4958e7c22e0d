use crate::both_backends;
use crate::support::{client, location, Backend, TestApp, PASSWORD};
use campus_core::domain::Role;

fn session_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("campus_session="))
        .map(str::to_owned)
}

async fn a_correct_password_signs_in_and_rotates_the_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("alice", &[Role::Staff]).await;
    // A session exists before sign-in (the form left state in it).
    let r = app
        .post_form(
            "/auth/local/sign-in",
            &[("username", "alice"), ("password", "wrong password here")],
        )
        .await;
    let before = session_cookie(&r).expect("a session cookie before sign-in");
    let r = app
        .post_form(
            "/auth/local/sign-in",
            &[
                ("username", "alice"),
                ("password", PASSWORD),
                ("next", "/projects"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(location(&r), "/projects");
    let after = session_cookie(&r).expect("sign-in sets a new session cookie");
    let id = |c: &str| c.split(';').next().unwrap().to_owned();
    assert_ne!(id(&before), id(&after), "the session id changes at sign-in");
    assert!(after.contains("HttpOnly"), "{after}");
    assert!(after.contains("SameSite=Lax"), "{after}");
    assert!(
        !after.contains("Secure"),
        "plain http keeps cookies usable: {after}"
    );
    // The id carries at least 128 bits (tower-sessions ids are 128-bit, base64 = 22 chars).
    assert!(id(&after).len() - "campus_session=".len() >= 22);
    let (status, body) = app.get_text("/account").await;
    assert_eq!(status, 200);
    assert!(
        body.contains("alice Tester"),
        "the account page shows who is signed in"
    );
}

async fn a_wrong_password_is_refused_with_a_message_and_keeps_the_name(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("alice", &[Role::Staff]).await;
    let r = app
        .post_form(
            "/auth/local/sign-in",
            &[("username", "alice"), ("password", "not the password")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    assert!(location(&r).starts_with("/sign-in"));
    let (_, body) = app.get_text(&location(&r)).await;
    assert!(body.contains("The user name or password is not correct"));
    assert!(
        body.contains(r#"value="alice""#),
        "the typed user name is kept"
    );
    let (status, _) = app.get_text("/account").await;
    assert_eq!(status, 401, "nobody is signed in");
}

async fn empty_fields_get_a_message_each(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let r = app.post_form("/auth/local/sign-in", &[]).await;
    let (_, body) = app.get_text(&location(&r)).await;
    assert!(body.contains("Enter your user name"));
    assert!(body.contains("Enter your password"));
    assert!(body.contains("There are 2 problems with this page"));
}

async fn repeated_failures_are_throttled_even_with_the_right_password(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("alice", &[Role::Staff]).await;
    for _ in 0..5 {
        app.post_form(
            "/auth/local/sign-in",
            &[("username", "alice"), ("password", "guess guess guess")],
        )
        .await;
    }
    let r = app
        .post_form(
            "/auth/local/sign-in",
            &[("username", "alice"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status().as_u16(), 429, "still refused");
    let retry: i64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry), "Retry-After: {retry}");
    let body = r.text().await.unwrap();
    assert!(
        body.contains("too many failed attempts for this user name from your address"),
        "{body}"
    );
}

/// A client whose connections come from `address` (any 127.x address reaches the portal).
fn client_from(address: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(address.parse::<std::net::IpAddr>().unwrap())
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn sign_in_from(
    app: &TestApp,
    c: &reqwest::Client,
    name: &str,
    password: &str,
) -> reqwest::Response {
    c.post(app.url("/auth/local/sign-in"))
        .form(&[("username", name), ("password", password), ("next", "/")])
        .send()
        .await
        .unwrap()
}

/// Anyone could once lock the administrator out with five wrong passwords. Failures now count
/// per name and address: the guesser is refused, the person elsewhere is not.
async fn guessing_a_name_from_one_address_does_not_lock_it_out_elsewhere(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("alice", &[Role::Staff]).await;
    let guesser = client_from("127.0.0.2");
    for _ in 0..6 {
        sign_in_from(&app, &guesser, "alice", "guess guess guess").await;
    }
    let r = sign_in_from(&app, &guesser, "alice", PASSWORD).await;
    assert_eq!(r.status().as_u16(), 429, "the guesser is throttled");
    // A made-up X-Forwarded-For does not make the guesser someone else.
    let r = guesser
        .post(app.url("/auth/local/sign-in"))
        .header("x-forwarded-for", "127.0.0.1")
        .form(&[("username", "alice"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 429);
    let alice = client_from("127.0.0.1");
    let r = sign_in_from(&app, &alice, "alice", PASSWORD).await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(location(&r), "/", "alice signs in from her own address");
}

/// One address trying many names is throttled on its own count, whatever the names.
async fn one_address_trying_many_names_is_throttled(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("alice", &[Role::Staff]).await;
    let sprayer = client_from("127.0.0.3");
    for i in 0..20 {
        let r = sign_in_from(&app, &sprayer, &format!("someone{i}"), "Winter2026!").await;
        assert_eq!(r.status().as_u16(), 303, "attempt {i} is only refused");
    }
    let r = sign_in_from(&app, &sprayer, "alice", PASSWORD).await;
    assert_eq!(r.status().as_u16(), 429);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("too many failed sign-ins from your address"),
        "{body}"
    );
    let r = sign_in_from(&app, &client_from("127.0.0.1"), "alice", PASSWORD).await;
    assert_eq!(location(&r), "/");
    // Failures are recorded with their address.
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM login_failures WHERE address = '127.0.0.3'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(n, 20);
}

async fn sign_out_deletes_the_server_side_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("alice", &[Role::Staff]).await;
    app.sign_in("alice").await;
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE user_id IS NOT NULL")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(rows, 1);
    let r = app.post_form("/auth/sign-out", &[]).await;
    assert_eq!(r.status().as_u16(), 303);
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE user_id IS NOT NULL")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(rows, 0, "the session row is gone");
    assert_eq!(app.get_text("/account").await.0, 401);
}

async fn sign_out_everywhere_ends_other_devices_too(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("alice", &[Role::Staff]).await;
    app.sign_in("alice").await;
    let laptop = client();
    let r = laptop
        .post(app.url("/auth/local/sign-in"))
        .form(&[("username", "alice"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/");
    let (_, body) = app.get_text("/account").await;
    assert!(body.contains("(this browser)"));
    assert!(
        body.matches("ons-table__row").count() >= 3,
        "two sessions are listed"
    );
    app.post_form("/account/sign-out-everywhere", &[]).await;
    let r = laptop.get(app.url("/account")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401, "the other device is signed out");
}

async fn an_expired_absolute_session_is_ended(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("alice", &[Role::Staff]).await;
    app.sign_in("alice").await;
    // Age the sign-in past the 12-hour absolute limit.
    let data: String = sqlx::query_scalar("SELECT data FROM sessions WHERE user_id IS NOT NULL")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&data).unwrap();
    v["signed_in_at"] = serde_json::json!(campus_core::clock::now() - 13 * 3600);
    sqlx::query("UPDATE sessions SET data = $1 WHERE user_id IS NOT NULL")
        .bind(v.to_string())
        .execute(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(app.get_text("/account").await.0, 401);
}

/// Someone who obtains a copy of the database (a backup, a leaked dump, a workspace that once
/// could read the file) finds no session they can use: only a hash of each id is stored.
async fn a_session_id_copied_from_the_database_signs_nobody_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("alice", &[Role::Staff]).await;
    app.sign_in("alice").await;
    assert_eq!(app.get_text("/account").await.0, 200, "alice is signed in");
    let stored: String = sqlx::query_scalar("SELECT id FROM sessions WHERE user_id IS NOT NULL")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let thief = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = thief
        .get(app.url("/account"))
        .header("cookie", format!("campus_session={stored}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        401,
        "the stored id is not a session id"
    );
    // The stored value is the SHA-256 of the real id, in hex.
    assert_eq!(stored.len(), 64, "{stored}");
    assert!(stored.chars().all(|c| c.is_ascii_hexdigit()), "{stored}");
}

/// `next=/%09/evil.example` decodes to a tab the old check let through; a browser drops the tab
/// from the `Location` and lands on `//evil.example`.
async fn sign_in_never_redirects_off_the_portal(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("alice", &[Role::Staff]).await;
    for hostile in [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\\evil.example",
        "//evil.example",
        "https://evil.example/",
    ] {
        let r = app
            .post_form(
                "/auth/local/sign-in",
                &[
                    ("username", "alice"),
                    ("password", PASSWORD),
                    ("next", hostile),
                ],
            )
            .await;
        assert_eq!(r.status().as_u16(), 303);
        assert_eq!(location(&r), "/", "{hostile:?} was followed");
    }
    let r = app
        .post_form(
            "/auth/local/sign-in",
            &[
                ("username", "alice"),
                ("password", PASSWORD),
                ("next", "/search?q=trees"),
            ],
        )
        .await;
    assert_eq!(
        location(&r),
        "/search?q=trees",
        "a path on the portal is kept"
    );
}

both_backends!(
    sign_in_never_redirects_off_the_portal,
    guessing_a_name_from_one_address_does_not_lock_it_out_elsewhere,
    one_address_trying_many_names_is_throttled,
    a_session_id_copied_from_the_database_signs_nobody_in,
    a_correct_password_signs_in_and_rotates_the_session,
    a_wrong_password_is_refused_with_a_message_and_keeps_the_name,
    empty_fields_get_a_message_each,
    repeated_failures_are_throttled_even_with_the_right_password,
    sign_out_deletes_the_server_side_session,
    sign_out_everywhere_ends_other_devices_too,
    an_expired_absolute_session_is_ended,
);
