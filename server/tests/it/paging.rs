//! Lists that grow come a page at a time (keyset pagination): each page's "More …" link leads to
//! the next, in order, with nothing repeated or left out, for projects, requests, datasets,
//! applications, people and notifications; the JSON API pages with `before_id` / `after_id`.

use crate::both_backends;
use crate::support::*;
use campus_core::domain::Role;

/// The `rel="next"` link of a page, with its HTML escaping undone.
fn next_link(html: &str) -> Option<String> {
    let rel = html.find(r#"rel="next""#)?;
    let start = html[..rel].rfind("<a ")?;
    let tag = &html[start..rel];
    let href = tag.split(r#"href=""#).nth(1)?.split('"').next()?;
    Some(href.replace("&amp;", "&"))
}

/// The ids in links such as `/projects/42`, in page order, each once.
fn linked_ids(html: &str, prefix: &str) -> Vec<i64> {
    let needle = format!(r#"href="{prefix}"#);
    let mut ids: Vec<i64> = Vec::new();
    for part in html.split(&needle).skip(1) {
        let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
        let ends_link = part[digits.len()..].starts_with('"');
        if let (Ok(id), true) = (digits.parse(), ends_link) {
            if ids.last() != Some(&id) {
                ids.push(id);
            }
        }
    }
    ids
}

/// Follows "More …" links from `first`: the ids each page links to under `prefix`.
async fn walk(c: &reqwest::Client, app: &TestApp, first: &str, prefix: &str) -> Vec<Vec<i64>> {
    let mut pages = Vec::new();
    let mut path = Some(first.to_owned());
    while let Some(p) = path {
        let (status, html) = page(c, app, &p).await;
        assert_eq!(status, 200, "{p}: {html}");
        pages.push(linked_ids(&html, prefix));
        path = next_link(&html);
        assert!(pages.len() < 20, "the pages never end");
    }
    pages
}

fn sizes(pages: &[Vec<i64>]) -> Vec<usize> {
    pages.iter().map(Vec::len).collect()
}

/// Many rows from one statement (a recursive count works on both databases).
async fn insert_many(app: &TestApp, n: i64, sql_after_cte: &str) {
    let sql = format!(
        "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < {n}) {sql_after_cte}"
    );
    sqlx::query(&sql).execute(&app.db.pool).await.unwrap();
}

async fn ids(app: &TestApp, sql: &str) -> Vec<i64> {
    sqlx::query_scalar(sql)
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
}

async fn long_lists_come_a_page_at_a_time_in_order(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let lena = app.create_user("lena", &[Role::Staff]).await;
    let pia = app.create_user("pia", &[Role::Partner]).await;
    app.create_user("ada", &[Role::Admin]).await;
    let lena_c = app.browser_for("lena").await;
    let pia_c = app.browser_for("pia").await;
    let ada_c = app.browser_for("ada").await;

    // Projects: named so that name order is the reverse of id order, which shows the list
    // follows names. The partner belongs to three of them.
    let mut projects = Vec::new();
    for i in 0..120 {
        projects.push(
            app.project(&format!("Project {:03}", 500 - i), lena, &[])
                .await,
        );
    }
    for p in [projects[5], projects[60], projects[110]] {
        campus_core::store::projects::add_member(
            &mut app.db.pool.acquire().await.unwrap(),
            p,
            pia,
            lena,
        )
        .await
        .unwrap();
    }
    let pages = walk(&lena_c, &app, "/projects", "/projects/").await;
    assert_eq!(sizes(&pages), [50, 50, 20]);
    let seen: Vec<i64> = pages.concat();
    let mut by_name = projects.clone();
    by_name.reverse();
    assert_eq!(seen, by_name, "every project once, by name");
    let partner = walk(&pia_c, &app, "/projects", "/projects/").await;
    assert_eq!(
        partner,
        [vec![projects[110], projects[60], projects[5]]],
        "a partner pages through their own projects only"
    );
    // The API pages by name too, 100 at a time, continuing after an id.
    let token = token_for(&app, "lena").await;
    let api_ids = |body: serde_json::Value| -> Vec<i64> {
        body.as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect()
    };
    let (s, first) = api(&app, reqwest::Method::GET, "/api/v1/projects", &token, None).await;
    assert_eq!(s, 200);
    assert_eq!(api_ids(first), by_name[..100]);
    let (_, rest) = api(
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/projects?after_id={}", by_name[99]),
        &token,
        None,
    )
    .await;
    assert_eq!(api_ids(rest), by_name[100..]);
    // A hand-edited continuation starts from the beginning instead of failing.
    let (s, html) = page(&lena_c, &app, "/projects?after=banana").await;
    assert_eq!(s, 200);
    assert_eq!(linked_ids(&html, "/projects/")[..3], by_name[..3]);

    // Requests in the person's projects, newest first; the API continues before an id.
    let offering = app.offering_id("jupyterlab").await;
    insert_many(
        &app,
        75,
        &format!(
            "INSERT INTO resources (project_id, offering_id, size_code, requester_id, state, cpu_cores, \
             ram_gb, gpus, storage_gb, end_date, purpose, visibility, created_at, updated_at, last_active_at) \
             SELECT {}, {offering}, 'small', {lena}, 'submitted', 1, 2, 0, 0, '2030-06-30', 'Paging', 'private', 0, 0, 0 FROM k",
            projects[0]
        ),
    )
    .await;
    let newest_first = ids(&app, "SELECT id FROM resources ORDER BY id DESC").await;
    let pages = walk(&lena_c, &app, "/requests", "/requests/").await;
    assert_eq!(sizes(&pages), [50, 25]);
    assert_eq!(pages.concat(), newest_first);
    let (s, body) = api(
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/requests?before_id={}", newest_first[9]),
        &token,
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(api_ids(body), newest_first[10..]);

    // Applications, newest first, and the datasets they brought in, by title.
    insert_many(
        &app,
        60,
        &format!(
            "INSERT INTO acquisitions (applicant_id, title, state, created_at, updated_at) \
             SELECT {lena}, 'Application', 'approved', 0, 0 FROM k"
        ),
    )
    .await;
    let applications = ids(&app, "SELECT id FROM acquisitions ORDER BY id DESC").await;
    let pages = walk(&lena_c, &app, "/acquisitions", "/acquisitions/").await;
    assert_eq!(sizes(&pages), [50, 10]);
    assert_eq!(pages.concat(), applications);
    sqlx::query(&format!(
        "INSERT INTO datasets (acquisition_id, title, description, source, licence, classification, \
         owner_id, retention_date, created_at) \
         SELECT id, 'Trees ' || CAST(1000 - id AS TEXT), 'Counted', 'Council', 'OGL', 'official', {lena}, \
         '2030-01-01', 0 FROM acquisitions"
    ))
    .execute(&app.db.pool)
    .await
    .unwrap();
    let by_title = ids(&app, "SELECT id FROM datasets ORDER BY title, id").await;
    let pages = walk(&lena_c, &app, "/datasets?q=trees", "/datasets/").await;
    assert_eq!(sizes(&pages), [50, 10]);
    assert_eq!(
        pages.concat(),
        by_title,
        "the search words carry to the next page"
    );
    let pages = walk(&lena_c, &app, "/datasets?q=nothing-like-this", "/datasets/").await;
    assert_eq!(sizes(&pages), [0]);

    // People, by name, for administrators.
    for i in 0..55 {
        app.create_user(&format!("person{i:02}"), &[Role::Staff])
            .await;
    }
    let people = ids(&app, "SELECT id FROM users ORDER BY display_name, id").await;
    let pages = walk(&ada_c, &app, "/admin/users", "/admin/users/").await;
    assert_eq!(sizes(&pages), [50, people.len() - 50]);
    assert_eq!(pages.concat(), people);

    // Notifications, newest first; "Mark all as read" counts every page, not only this one.
    insert_many(
        &app,
        130,
        &format!(
            "INSERT INTO notifications (user_id, subject, body, link, created_at) \
             SELECT {lena}, 'Note', 'Body', '/n/' || CAST(i AS TEXT), i FROM k"
        ),
    )
    .await;
    let newest_first: Vec<i64> = (1..=130).rev().collect();
    let pages = walk(&lena_c, &app, "/notifications", "/n/").await;
    assert_eq!(sizes(&pages), [50, 50, 30]);
    assert_eq!(pages.concat(), newest_first);
    // Everything on the first page read, one unread on the last: the button still shows.
    sqlx::query("UPDATE notifications SET read_at = 1 WHERE link <> '/n/1'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let (_, first) = page(&lena_c, &app, "/notifications").await;
    assert!(!first.contains(">New<"), "nothing on the first page is new");
    assert!(first.contains("Mark all as read"), "{first}");
    sqlx::query("UPDATE notifications SET read_at = 1")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let (_, first) = page(&lena_c, &app, "/notifications").await;
    assert!(!first.contains("Mark all as read"), "{first}");
    let (s, body) = api(
        &app,
        reqwest::Method::GET,
        "/api/v1/notifications",
        &token,
        None,
    )
    .await;
    assert_eq!(s, 200);
    let first_api = body.as_array().unwrap();
    assert_eq!(first_api.len(), 100);
    let last = first_api[99]["id"].as_i64().unwrap();
    let (_, rest) = api(
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/notifications?before_id={last}"),
        &token,
        None,
    )
    .await;
    assert_eq!(rest.as_array().unwrap().len(), 30);
}

both_backends!(long_lists_come_a_page_at_a_time_in_order);
