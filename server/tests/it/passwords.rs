//! Changing one's password, and the first administrator's one-time password, which must be
//! replaced before anything else.

use crate::both_backends;
use crate::support::{client, count, location, page, post, Backend, TestApp, PASSWORD};
use campus_core::domain::Role;

const NEW: &str = "a brand new long password";

async fn sign_in(app: &TestApp, username: &str, password: &str) -> (reqwest::Client, String) {
    let c = client();
    let r = post(
        &c,
        app,
        "/auth/local/sign-in",
        &[
            ("username", username),
            ("password", password),
            ("next", "/projects"),
        ],
    )
    .await;
    (c, location(&r))
}

/// The administrator made at first start signs in with a password that went to a console: they
/// are held on the password page, every other page and form sends them back there and changes
/// nothing, until they choose their own.
async fn the_first_administrator_chooses_a_password_before_anything_else(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // The first start (no users) made `admin`, marked to choose a password.
    assert_eq!(
        count(
            &app,
            "SELECT must_change_password FROM users WHERE username = 'admin'"
        )
        .await,
        1
    );
    // Its one-time password was printed; the test sets a known one in its place.
    let admin = app.create_user("root", &[Role::Admin, Role::Staff]).await;
    campus_core::store::users::require_password_change(&app.db, admin)
        .await
        .unwrap();
    let (c, to) = sign_in(&app, "root", PASSWORD).await;
    assert_eq!(to, "/account/password");
    let (status, body) = page(&c, &app, "/account/password").await;
    assert_eq!(status, 200);
    assert!(
        body.contains("You signed in with a one-time password"),
        "{body}"
    );
    for held in ["/projects", "/admin/users", "/account"] {
        let r = c.get(app.url(held)).send().await.unwrap();
        assert_eq!(location(&r), "/account/password", "{held}");
    }
    let r = post(
        &c,
        &app,
        "/projects",
        &[
            ("name", "Sneaky"),
            ("summary", "Made before a password change"),
            ("end_date", "2030-01-01"),
        ],
    )
    .await;
    assert_eq!(location(&r), "/account/password");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM projects").await, 0);

    let r = post(
        &c,
        &app,
        "/account/password",
        &[
            ("current_password", PASSWORD),
            ("new_password", NEW),
            ("confirm_password", NEW),
        ],
    )
    .await;
    assert_eq!(location(&r), "/account");
    let (_, body) = page(&c, &app, "/account").await;
    assert!(body.contains("Your password was changed."), "{body}");
    assert_eq!(page(&c, &app, "/projects").await.0, 200);
    assert_eq!(
        count(
            &app,
            &format!("SELECT must_change_password FROM users WHERE id = {admin}")
        )
        .await,
        0
    );
    // A later sign-in goes where it was going.
    let (_, to) = sign_in(&app, "root", NEW).await;
    assert_eq!(to, "/projects");
}

/// A person changes their password by proving the old one; mistakes are named and change
/// nothing; afterwards the old password is worthless, their other sessions are ended, and the
/// change is audited.
async fn a_person_changes_their_password(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("sam", &[Role::Staff]).await;
    let (elsewhere, _) = sign_in(&app, "sam", PASSWORD).await;
    let (c, _) = sign_in(&app, "sam", PASSWORD).await;
    let attempts: [(&[(&str, &str)], &str); 4] = [
        (
            &[
                ("current_password", "not my password!"),
                ("new_password", NEW),
                ("confirm_password", NEW),
            ],
            "Your current password is not right",
        ),
        (
            &[
                ("current_password", PASSWORD),
                ("new_password", "short"),
                ("confirm_password", "short"),
            ],
            "Password must be 12 characters or more",
        ),
        (
            &[
                ("current_password", PASSWORD),
                ("new_password", NEW),
                ("confirm_password", "something else entirely"),
            ],
            "The two new passwords are not the same",
        ),
        (
            &[
                ("current_password", PASSWORD),
                ("new_password", PASSWORD),
                ("confirm_password", PASSWORD),
            ],
            "Choose a password other than your current one",
        ),
    ];
    for (form, message) in attempts {
        let r = post(&c, &app, "/account/password", form).await;
        assert_eq!(location(&r), "/account/password");
        let (_, body) = page(&c, &app, "/account/password").await;
        assert!(body.contains(message), "{message}: {body}");
        assert!(
            !body.contains(NEW),
            "a typed password came back in the page"
        );
    }
    assert_eq!(
        sign_in(&app, "sam", PASSWORD).await.1,
        "/projects",
        "unchanged so far"
    );

    let r = post(
        &c,
        &app,
        "/account/password",
        &[
            ("current_password", PASSWORD),
            ("new_password", NEW),
            ("confirm_password", NEW),
        ],
    )
    .await;
    assert_eq!(location(&r), "/account");
    assert_eq!(
        page(&c, &app, "/account").await.0,
        200,
        "this session goes on"
    );
    let r = elsewhere.get(app.url("/account")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401, "the other session was ended");
    let (_, to) = sign_in(&app, "sam", PASSWORD).await;
    assert_eq!(
        to.split('?').next(),
        Some("/sign-in"),
        "the old password still works"
    );
    assert_eq!(sign_in(&app, "sam", NEW).await.1, "/projects");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'user.password_change'"
        )
        .await,
        1
    );
}

both_backends!(
    the_first_administrator_chooses_a_password_before_anything_else,
    a_person_changes_their_password,
);
