use crate::both_backends;
use crate::support::{fresh_database, Backend};
use std::process::Command;

fn server(database_url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_server"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("CARLA_PW", "carla's long password")
        .env("RUST_LOG", "error")
        .output()
        .unwrap()
}

async fn the_cli_migrates_creates_users_and_tokens(backend: Backend) {
    let (url, _tmp) = fresh_database(backend).await;
    let out = server(&url, &["migrate"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let args = [
        "create-user",
        "--username",
        "carla",
        "--name",
        "Carla Cole",
        "--email",
        "carla@example.org",
        "--role",
        "staff",
        "--role",
        "reviewer",
        "--password-env",
        "CARLA_PW",
    ];
    let out = server(&url, &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("carla's long password"),
        "a given password is never printed"
    );
    // The same name again is refused with a reason, and changes nothing.
    let out = server(&url, &args);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already taken"));
    // An unknown role is refused before anything happens.
    let out = server(
        &url,
        &[
            "create-user",
            "--username",
            "dan",
            "--name",
            "Dan",
            "--email",
            "dan@example.org",
            "--role",
            "boss",
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("boss"));
    let out = server(&url, &["create-token", "--user", "carla"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(token.starts_with("cpat_"), "{token}");

    let db = campus_core::Db::connect(&url).await.unwrap();
    let carla = campus_core::store::users::find_by_username(&db, "carla")
        .await
        .unwrap()
        .unwrap();
    assert!(carla.roles.has(campus_core::domain::Role::Reviewer));
    assert_eq!(campus_core::store::users::count(&db).await.unwrap(), 1);
    assert_eq!(
        campus_core::store::tokens::authenticate(&db, &token)
            .await
            .unwrap(),
        campus_core::store::tokens::Presented::Live {
            user_id: carla.id,
            scopes: campus_core::token_scope::Scopes::new([campus_core::token_scope::Scope::Write]),
        },
        "the command line's token reads and writes, and nothing of the reviewer's role"
    );
    let ok = campus_core::services::accounts::sign_in_local(
        &db,
        Default::default(),
        "127.0.0.1",
        "carla",
        "carla's long password",
    )
    .await;
    assert!(ok.is_ok(), "the password from the environment works");
}

both_backends!(the_cli_migrates_creates_users_and_tokens);

async fn a_first_start_without_demo_content_makes_one_admin_with_a_one_time_password(
    backend: Backend,
) {
    let (url, _tmp) = fresh_database(backend).await;
    let db = campus_core::Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    let server::demo::Seeded::Admin { password } = server::demo::seed(&db, false).await.unwrap()
    else {
        panic!("an empty database gets an administrator");
    };
    assert!(password.len() >= 12);
    let admin = campus_core::services::accounts::sign_in_local(
        &db,
        Default::default(),
        "127.0.0.1",
        "admin",
        &password,
    )
    .await
    .unwrap();
    assert!(admin.roles.has(campus_core::domain::Role::Admin));
    // A second start changes nothing and prints no password.
    assert!(matches!(
        server::demo::seed(&db, false).await.unwrap(),
        server::demo::Seeded::AlreadyHadUsers
    ));
    assert_eq!(campus_core::store::users::count(&db).await.unwrap(), 1);
}

async fn demo_content_has_someone_in_every_role(backend: Backend) {
    let (url, _tmp) = fresh_database(backend).await;
    let db = campus_core::Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    assert!(matches!(
        server::demo::seed(&db, true).await.unwrap(),
        server::demo::Seeded::Demo
    ));
    for role in campus_core::domain::Role::ALL {
        let users = campus_core::store::users::list(&db, None, 1000)
            .await
            .unwrap();
        assert!(
            users.iter().any(|u| u.roles.has(role)),
            "someone holds {role}"
        );
    }
    assert_eq!(
        campus_core::store::projects::list_all(&db)
            .await
            .unwrap()
            .len(),
        6
    );
    // The six projects of the launch article are published, and each training topic has a course.
    let showcase = campus_core::services::showcase::list(&db, &Default::default())
        .await
        .unwrap();
    assert_eq!(showcase.projects.len(), 6);
    let (courses, _) = campus_core::services::training::list(&db, None, None)
        .await
        .unwrap();
    assert_eq!(
        courses.len(),
        5,
        "the staff-only Spark course is not public"
    );
    // The public register has an entry, and reviewers have an application to review.
    let register = campus_core::services::acquisitions::register(&db)
        .await
        .unwrap();
    assert_eq!(register.len(), 1);
    assert_eq!(register[0].title, "Broadband speeds by postcode");
    let waiting: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM acquisitions WHERE state = 'data_control'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(waiting, 1);
}

both_backends!(
    a_first_start_without_demo_content_makes_one_admin_with_a_one_time_password,
    demo_content_has_someone_in_every_role
);
