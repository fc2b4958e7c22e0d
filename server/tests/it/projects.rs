use crate::both_backends;
use crate::support::{count, location, Backend, TestApp};
use campus_core::domain::Role;

async fn a_staff_member_starts_a_project_and_adds_a_member(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("alice", &[Role::Staff]).await;
    app.create_user("bob", &[Role::Staff]).await;
    app.sign_in("alice").await;
    let r = app
        .post_form(
            "/projects",
            &[
                ("name", "Urban forest"),
                ("summary", "Trees from imagery."),
                ("end_date", "2027-09-30"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let page = location(&r);
    assert!(page.starts_with("/projects/"), "{page}");
    let (status, body) = app.get_text(&page).await;
    assert_eq!(status, 200);
    assert!(
        body.contains("Urban forest") && body.contains("started"),
        "a notice confirms it"
    );
    let r = app
        .post_form(&format!("{page}/members"), &[("username", "bob")])
        .await;
    assert_eq!(location(&r), page);
    let (_, body) = app.get_text(&page).await;
    assert!(body.contains("bob Tester is now a member"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM project_members").await, 2);
}

async fn invalid_project_fields_are_reported_beside_each_field_and_nothing_is_saved(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    app.create_user("alice", &[Role::Staff]).await;
    app.sign_in("alice").await;
    let r = app
        .post_form(
            "/projects",
            &[("name", "ab"), ("summary", ""), ("end_date", "2020-01-01")],
        )
        .await;
    assert_eq!(location(&r), "/projects/new");
    let (_, body) = app.get_text("/projects/new").await;
    assert!(body.contains("There are 3 problems with this page"));
    assert!(body.contains("Project name must be 3 characters or more"));
    assert!(body.contains("Enter a summary of the project"));
    assert!(body.contains("End date must be today or in the future"));
    assert!(body.contains(r#"value="ab""#), "what was typed is kept");
    assert!(body.contains("2020-01-01"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM projects").await, 0);
    // The form state is shown once: a reload shows a clean form.
    let (_, body) = app.get_text("/projects/new").await;
    assert!(!body.contains("There are 3 problems"));
}

async fn a_duplicate_project_name_is_a_field_error(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("alice", &[Role::Staff]).await;
    app.sign_in("alice").await;
    let form = [
        ("name", "Urban forest"),
        ("summary", "Trees."),
        ("end_date", "2027-09-30"),
    ];
    app.post_form("/projects", &form).await;
    let r = app.post_form("/projects", &form).await;
    assert_eq!(location(&r), "/projects/new");
    let (_, body) = app.get_text("/projects/new").await;
    assert!(body.contains("A project with that name already exists"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM projects").await, 1);
}

async fn a_member_who_is_not_the_lead_cannot_add_members(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("alice", &[Role::Staff]).await;
    app.create_user("bob", &[Role::Staff]).await;
    app.create_user("carol", &[Role::Staff]).await;
    app.sign_in("alice").await;
    let r = app
        .post_form(
            "/projects",
            &[
                ("name", "Urban forest"),
                ("summary", "Trees."),
                ("end_date", "2027-09-30"),
            ],
        )
        .await;
    let page = location(&r);
    app.post_form(&format!("{page}/members"), &[("username", "bob")])
        .await;
    app.post_form("/auth/sign-out", &[]).await;
    app.sign_in("bob").await;
    let (_, body) = app.get_text(&page).await;
    assert!(
        !body.contains("Add a member"),
        "the form is not offered to bob"
    );
    let r = app
        .post_form(&format!("{page}/members"), &[("username", "carol")])
        .await;
    assert_eq!(
        r.status().as_u16(),
        403,
        "the server refuses whatever the page showed"
    );
    assert!(r.text().await.unwrap().contains("Nothing was changed"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM project_members").await, 2);
}

async fn a_partner_sees_only_projects_they_belong_to(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("alice", &[Role::Staff]).await;
    app.create_user("pat", &[Role::Partner]).await;
    app.sign_in("alice").await;
    let r = app
        .post_form(
            "/projects",
            &[
                ("name", "Urban forest"),
                ("summary", "Trees."),
                ("end_date", "2027-09-30"),
            ],
        )
        .await;
    let page = location(&r);
    app.post_form("/auth/sign-out", &[]).await;
    app.sign_in("pat").await;
    let (status, body) = app.get_text(&page).await;
    assert_eq!(status, 403);
    assert!(body.contains("You do not have permission"));
    let (_, list) = app.get_text("/projects").await;
    assert!(!list.contains("Urban forest"));
    assert!(
        !list.contains("Start a project"),
        "partners cannot start projects"
    );
    let (status, _) = app.get_text("/projects/new").await;
    assert_eq!(status, 403);
    let r = app
        .post_form(
            "/projects",
            &[
                ("name", "Sneaky"),
                ("summary", "x"),
                ("end_date", "2027-09-30"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM projects").await, 1);
}

async fn only_admins_manage_roles(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("ada", &[Role::Admin]).await;
    let bob = app.create_user("bob", &[Role::Staff]).await;
    app.sign_in("bob").await;
    assert_eq!(app.get_text("/admin/users").await.0, 403);
    let r = app
        .post_form(&format!("/admin/users/{bob}/roles"), &[("roles", "admin")])
        .await;
    assert_eq!(r.status().as_u16(), 403);
    app.post_form("/auth/sign-out", &[]).await;
    app.sign_in("ada").await;
    let r = app
        .post_form(
            &format!("/admin/users/{bob}/roles"),
            &[("roles", "staff"), ("roles", "reviewer")],
        )
        .await;
    assert_eq!(location(&r), "/admin/users");
    let roles = campus_core::store::users::roles_of(&app.db, bob)
        .await
        .unwrap();
    assert!(roles.has(Role::Reviewer) && roles.has(Role::Staff) && !roles.has(Role::Admin));
    let r = app
        .post_form(
            &format!("/admin/users/{bob}/roles"),
            &[("roles", "emperor")],
        )
        .await;
    assert!(location(&r).ends_with(&format!("/admin/users/{bob}")));
    let roles = campus_core::store::users::roles_of(&app.db, bob)
        .await
        .unwrap();
    assert!(roles.has(Role::Reviewer), "an unknown role changes nothing");
}

async fn an_admin_cannot_remove_their_own_admin_role(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = app.create_user("ada", &[Role::Admin]).await;
    app.sign_in("ada").await;
    let r = app
        .post_form(&format!("/admin/users/{ada}/roles"), &[("roles", "staff")])
        .await;
    let (_, body) = app.get_text(&location(&r)).await;
    assert!(body.contains("You cannot remove your own administrator role"));
    assert!(campus_core::store::users::roles_of(&app.db, ada)
        .await
        .unwrap()
        .has(Role::Admin));
}

both_backends!(
    a_staff_member_starts_a_project_and_adds_a_member,
    invalid_project_fields_are_reported_beside_each_field_and_nothing_is_saved,
    a_duplicate_project_name_is_a_field_error,
    a_member_who_is_not_the_lead_cannot_add_members,
    a_partner_sees_only_projects_they_belong_to,
    only_admins_manage_roles,
    an_admin_cannot_remove_their_own_admin_role,
);
