//! The public side: project pages written by their leads and read by anyone from a cache,
//! announcements, courses, and search. Through the real form posts and pages.

use crate::both_backends;
use crate::support::*;
use campus_core::domain::Role;

fn page_form<'a>(
    title: &'a str,
    team: &'a str,
    body: &'a str,
    intent: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("title", title),
        ("summary", "Trees counted from street images."),
        ("team", team),
        ("outputs", "A report"),
        ("links", "Code | https://example.org/code"),
        ("tags", "Environment, Computer vision"),
        ("year", "2019"),
        ("body", body),
        ("intent", intent),
    ]
}

async fn anon(app: &TestApp, path: &str) -> reqwest::Response {
    client().get(app.url(path)).send().await.unwrap()
}

async fn anon_text(app: &TestApp, path: &str) -> (u16, String) {
    let r = anon(app, path).await;
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn a_lead_publishes_a_page_that_anyone_reads_without_wasm(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let lead = app.create_user("lena", &[Role::Staff]).await;
    let member = app.create_user("max", &[Role::Staff]).await;
    let pid = app.project("Urban forest", lead, &[member]).await;
    let lead_c = app.browser_for("lena").await;
    let member_c = app.browser_for("max").await;
    let action = format!("/projects/{pid}/showcase");

    let (s, list) = anon_text(&app, "/showcase").await;
    assert_eq!(s, 200);
    assert!(list.contains("No published projects match"), "{list}");

    // Only the lead writes it, whatever the page showed.
    let r = post(
        &member_c,
        &app,
        &action,
        &page_form("Urban forest", "Lena", "Hi", "save"),
    )
    .await;
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM showcase_pages").await, 0);

    // Malformed input: refused field by field, nothing saved.
    let mut bad = page_form("Urban forest", "Lena", "Hi", "save");
    bad[4] = ("links", "Docs | javascript:alert(1)");
    bad[5] = ("tags", "ok, <script>");
    let r = post(&lead_c, &app, &action, &bad).await;
    assert_eq!(location(&r), action);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM showcase_pages").await, 0);
    let (_, editor) = page(&lead_c, &app, &action).await;
    assert!(editor.contains("is not a web address"), "{editor}");
    assert!(editor.contains("may only have letters, digits"), "{editor}");

    // A draft with hostile Markdown saves; with a gap it cannot be published.
    let body = "# Aim\n\nCount *trees*. <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(2)>";
    let r = post(
        &lead_c,
        &app,
        &action,
        &page_form("Urban forest", "", body, "publish"),
    )
    .await;
    assert_eq!(location(&r), action);
    let (_, editor) = page(&lead_c, &app, &action).await;
    assert!(
        editor.contains("Name at least one member of the team"),
        "{editor}"
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM showcase_pages WHERE published_at IS NOT NULL"
        )
        .await,
        0
    );
    let (s, _) = anon_text(&app, "/showcase/urban-forest").await;
    assert_eq!(s, 404, "a draft is never public");

    let r = post(
        &lead_c,
        &app,
        &action,
        &page_form("Urban forest", "Lena\nMax", body, "publish"),
    )
    .await;
    assert_eq!(location(&r), action);
    let (_, editor) = page(&lead_c, &app, &action).await;
    assert!(
        editor.contains("Published. Anyone can now read it at /showcase/urban-forest"),
        "{editor}"
    );

    // Anyone reads it: complete HTML, the Markdown made harmless, no client app.
    let r = anon(&app, "/showcase/urban-forest").await;
    assert_eq!(r.status().as_u16(), 200);
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    assert!(r.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("public"));
    let html = r.text().await.unwrap();
    assert!(html.contains("<h2>Aim</h2>"), "{html}");
    assert!(html.contains("<em>trees</em>"));
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "raw HTML shows as text"
    );
    assert!(!html.contains("javascript:"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(
        !html.contains("<script"),
        "a public page carries no script at all: {html}"
    );
    assert!(!html.contains(".wasm") && !html.contains("campus_portal.js"));
    assert!(html.contains("Lena") && html.contains("https://example.org/code"));

    // The cache answers a browser that has it with 304, and the same page otherwise.
    let r = client()
        .get(app.url("/showcase/urban-forest"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 304);
    let r = anon(&app, "/showcase/urban-forest").await;
    assert_eq!(r.headers()["etag"].to_str().unwrap(), etag);

    // A saved draft changes nothing public; publishing it does, at once.
    post(
        &lead_c,
        &app,
        &action,
        &page_form("Urban forest canopy", "Lena", body, "save"),
    )
    .await;
    let (_, html) = anon_text(&app, "/showcase/urban-forest").await;
    assert!(!html.contains("Urban forest canopy"));
    post(
        &lead_c,
        &app,
        &action,
        &page_form("Urban forest canopy", "Lena", body, "publish"),
    )
    .await;
    let r = anon(&app, "/showcase/urban-forest").await;
    assert_ne!(r.headers()["etag"].to_str().unwrap(), etag);
    assert!(r.text().await.unwrap().contains("Urban forest canopy"));

    // The list filters by tag and year.
    let (_, l) = anon_text(&app, "/showcase?tag=computer+vision").await;
    assert!(l.contains("Urban forest canopy"), "{l}");
    let (_, l) = anon_text(&app, "/showcase?tag=transport").await;
    assert!(!l.contains("Urban forest canopy") && l.contains("No published projects match"));
    let (_, l) = anon_text(&app, "/showcase?year=2019").await;
    assert!(l.contains("Urban forest canopy"));
    let (_, l) = anon_text(&app, "/showcase?year=2020").await;
    assert!(!l.contains("Urban forest canopy"));
    let (s, _) = anon_text(&app, "/showcase?year=abc&tag=%3Cscript%3E&after=x").await;
    assert_eq!(s, 200, "odd filters give a page, not an error");

    // Search finds it for anyone; taking it off the site removes it from both.
    let (_, found) = anon_text(&app, "/search?q=canopy").await;
    assert!(found.contains("/showcase/urban-forest"), "{found}");
    let r = post(&lead_c, &app, &format!("{action}/unpublish"), &[]).await;
    assert_eq!(location(&r), action);
    let (s, _) = anon_text(&app, "/showcase/urban-forest").await;
    assert_eq!(s, 404);
    let (_, found) = anon_text(&app, "/search?q=canopy").await;
    assert!(!found.contains("/showcase/urban-forest"));
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'showcase.publish'"
        )
        .await,
        2
    );
}

async fn another_replicas_change_reaches_the_cache_within_seconds(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let lead = app.create_user("lena", &[Role::Staff]).await;
    let pid = app.project("Household gardens", lead, &[]).await;
    let lead_c = app.browser_for("lena").await;
    let body = "Gardens.";
    post(
        &lead_c,
        &app,
        &format!("/projects/{pid}/showcase"),
        &page_form("Household gardens", "Lena", body, "publish"),
    )
    .await;
    let (_, before) = anon_text(&app, "/showcase").await;
    assert!(before.contains("Household gardens"));
    // Another replica publishes: the database changes, this replica's cache is not told.
    sqlx::query("UPDATE showcase_pages SET title = 'Gardens of Britain'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE content_generation SET value = value + 1")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let mut seen = false;
    for _ in 0..30 {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        if anon_text(&app, "/showcase")
            .await
            .1
            .contains("Gardens of Britain")
        {
            seen = true;
            break;
        }
    }
    assert!(seen, "the cached list should be rendered again within 6 s");
}

async fn a_project_page_lists_its_published_services_while_they_run(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_big_host().await;
    let lead = app.create_user("lena", &[Role::Staff]).await;
    let pid = app.project("Access to services", lead, &[]).await;
    let lead_c = app.browser_for("lena").await;
    post(
        &lead_c,
        &app,
        &format!("/projects/{pid}/showcase"),
        &page_form("Access to services", "Lena", "Journeys.", "publish"),
    )
    .await;
    let (_, before) = anon_text(&app, "/showcase/access-to-services").await;
    assert!(
        !before.contains("Published services"),
        "cached without a service"
    );
    let offering = app.offering_id("web-service").await;
    let private = request(&app, &lead_c, pid, &format!("{offering}:small"), "project").await;
    let public = request(&app, &lead_c, pid, &format!("{offering}:small"), "project").await;
    app.wait_for_state(private, "active", 60).await;
    app.wait_for_state(public, "active", 60).await;
    std::fs::write(
        app.resource_dir
            .join(format!("cp-{public}/files/index.html")),
        "<p>journeys</p>",
    )
    .unwrap();
    app.release(public, "lena").await;
    let href = format!("/s/cp-{public}/");
    let mut listed = String::new();
    for _ in 0..20 {
        listed = anon_text(&app, "/showcase/access-to-services").await.1;
        if listed.contains(&href) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(
        listed.contains(&href),
        "the cache notices the service starting: {listed}"
    );
    assert!(
        !listed.contains(&format!("/s/cp-{private}/")),
        "only published services are listed"
    );
    // Each release links to its check, with the digest of exactly what it serves.
    let (check, digest): (i64, String) = sqlx::query_as(
        "SELECT c.id, cr.digest FROM output_checks c JOIN output_check_rounds cr \
         ON cr.check_id = c.id AND cr.round = c.round WHERE c.resource_id = $1",
    )
    .bind(public)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert!(
        listed.contains(&format!("/output-checks/{check}")) && listed.contains(&digest),
        "{listed}"
    );
    // Anyone can open it, on its own host and without a sign-in code.
    let r = anon(&app, &href).await;
    assert_eq!(location(&r), crate::support::app_url(&app, public, "/"));
    let r = client().get(location(&r)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "and anyone can open it");
    let r = post(
        &lead_c,
        &app,
        &format!("/requests/{public}/actions/stop"),
        &[],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    app.wait_for_state(public, "stopped", 60).await;
    let mut gone = false;
    for _ in 0..20 {
        if !anon_text(&app, "/showcase/access-to-services")
            .await
            .1
            .contains(&href)
        {
            gone = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(gone, "a stopped service leaves the page");
}

async fn announcements_show_on_every_page_until_they_end(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("omar", &[Role::Operator]).await;
    app.create_user("sam", &[Role::Staff]).await;
    let op = app.browser_for("omar").await;
    let staff = app.browser_for("sam").await;
    // Warm the cache of a public page first.
    let (_, plain) = anon_text(&app, "/training").await;
    assert!(!plain.contains("Planned maintenance"));

    let later = campus_core::clock::format_utc(campus_core::clock::now() + 3600);
    let later = later.replace(' ', "T");
    let later = &later[..16];
    let good = [
        ("kind", "maintenance"),
        ("message", "JupyterLab restarts at 18:00."),
        ("starts", ""),
        ("expires", later),
    ];
    let r = post(&staff, &app, "/operations/announcements", &good).await;
    assert_eq!(r.status().as_u16(), 403, "only operators announce");
    let r = post(
        &op,
        &app,
        "/operations/announcements",
        &[("kind", "party"), ("message", ""), ("expires", "soon")],
    )
    .await;
    assert_eq!(location(&r), "/operations/announcements");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM announcements").await, 0);
    let (_, ops) = page(&op, &app, "/operations/announcements").await;
    assert!(
        ops.contains("Choose what kind of announcement this is"),
        "{ops}"
    );
    assert!(ops.contains("Enter the message to show"));

    let r = post(&op, &app, "/operations/announcements", &good).await;
    assert_eq!(location(&r), "/operations/announcements");
    for path in ["/training", "/showcase", "/", "/register"] {
        let (_, html) = anon_text(&app, path).await;
        assert!(
            html.contains("JupyterLab restarts at 18:00."),
            "{path}: {html}"
        );
    }
    let (_, html) = page(&staff, &app, "/projects").await;
    assert!(html.contains("JupyterLab restarts at 18:00."));

    let id = count(&app, "SELECT MAX(id) FROM announcements").await;
    let r = post(
        &op,
        &app,
        &format!("/operations/announcements/{id}/withdraw"),
        &[],
    )
    .await;
    assert_eq!(location(&r), "/operations/announcements");
    let (_, html) = anon_text(&app, "/training").await;
    assert!(!html.contains("JupyterLab restarts at 18:00."));

    // One that ends by itself leaves the cached pages when it ends.
    let now = campus_core::clock::now();
    sqlx::query("INSERT INTO announcements (kind, message, starts_at, expires_at, created_by, created_at) VALUES ('incident', 'Storage is slow.', $1, $2, 1, $1)")
        .bind(now - 10)
        .bind(now + 3)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let mut shown = false;
    for _ in 0..15 {
        if anon_text(&app, "/training")
            .await
            .1
            .contains("Storage is slow.")
        {
            shown = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(shown, "a new announcement reaches the cached page");
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    assert!(!anon_text(&app, "/training")
        .await
        .1
        .contains("Storage is slow."));
}

async fn courses_are_public_or_for_staff_with_pages_and_attachments(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("tess", &[Role::Staff]).await;
    app.create_user("sam", &[Role::Staff]).await;
    app.create_user("pat", &[Role::Partner]).await;
    let tess = app.browser_for("tess").await;
    let sam = app.browser_for("sam").await;
    let pat = app.browser_for("pat").await;
    let new = |title: &'static str, audience: &'static str| {
        vec![
            ("title", title),
            ("topic", "Python"),
            ("summary", "Pandas for analysts."),
            ("audience", audience),
        ]
    };
    let r = post(&pat, &app, "/training", &new("Python basics", "public")).await;
    assert_eq!(r.status().as_u16(), 403);
    let r = post(
        &tess,
        &app,
        "/training",
        &[("title", ""), ("topic", "Cobol"), ("audience", "")],
    )
    .await;
    assert_eq!(location(&r), "/training/new");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM courses").await, 0);
    let r = post(&tess, &app, "/training", &new("Python basics", "public")).await;
    assert_eq!(location(&r), "/training/python-basics/manage");
    let r = post(&tess, &app, "/training", &new("Spark internals", "staff")).await;
    assert_eq!(location(&r), "/training/spark-internals/manage");

    let md = "# Pandas\n\nUse `read_csv`. <script>alert(1)</script>";
    let r = post(
        &sam,
        &app,
        "/training/python-basics/pages",
        &[("title", "Reading data"), ("body", md)],
    )
    .await;
    assert_eq!(r.status().as_u16(), 403, "only the owner edits");
    let r = post(
        &tess,
        &app,
        "/training/python-basics/pages",
        &[("title", "Reading data"), ("body", md)],
    )
    .await;
    assert_eq!(location(&r), "/training/python-basics/manage");
    let (s, html) = anon_text(&app, "/training/python-basics/pages/reading-data").await;
    assert_eq!(s, 200);
    assert!(
        html.contains("<code>read_csv</code>") && html.contains("&lt;script&gt;"),
        "{html}"
    );
    assert!(!html.contains("<script"));
    // Editing the page (its own field names) changes what visitors read.
    let r = post(
        &tess,
        &app,
        "/training/python-basics/pages/reading-data",
        &[
            ("title-reading-data", "Reading data"),
            ("body-reading-data", "Use `read_parquet`."),
        ],
    )
    .await;
    assert_eq!(location(&r), "/training/python-basics/manage");
    assert!(
        anon_text(&app, "/training/python-basics/pages/reading-data")
            .await
            .1
            .contains("read_parquet")
    );

    // Attachments: typed by name, so HTML downloads and never renders.
    for (name, bytes) in [
        ("notes.html", b"<script>alert(1)</script>".to_vec()),
        ("chart.png", vec![0x89, b'P', b'N', b'G']),
    ] {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name),
        );
        let r = tess
            .post(app.url("/training/python-basics/files"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(location(&r), "/training/python-basics/manage");
    }
    let empty = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(Vec::new()).file_name("empty.csv"),
    );
    tess.post(app.url("/training/python-basics/files"))
        .multipart(empty)
        .send()
        .await
        .unwrap();
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM course_attachments").await,
        2
    );
    let r = anon(&app, "/training/python-basics/files/notes.html").await;
    assert_eq!(r.headers()["content-type"], "application/octet-stream");
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let r = anon(&app, "/training/python-basics/files/chart.png").await;
    assert_eq!(r.headers()["content-type"], "image/png");

    // Who sees what.
    let (_, list) = anon_text(&app, "/training").await;
    assert!(
        list.contains("Python basics") && !list.contains("Spark internals"),
        "{list}"
    );
    let (s, html) = anon_text(&app, "/training/spark-internals").await;
    assert_eq!(s, 401);
    assert!(!html.contains("Pandas for analysts"));
    let (s, _) = page(&pat, &app, "/training/spark-internals").await;
    assert_eq!(s, 403);
    let (s, html) = page(&sam, &app, "/training/spark-internals").await;
    assert_eq!(s, 200);
    assert!(html.contains("Campus staff only"));
    let (_, list) = page(&sam, &app, "/training").await;
    assert!(list.contains("Spark internals"));
    let (_, found) = anon_text(&app, "/search?q=parquet").await;
    assert!(found.contains("/training/python-basics"), "{found}");
    let (_, found) = anon_text(&app, "/search?q=spark").await;
    assert!(!found.contains("/training/spark-internals"));
    let (_, found) = page(&sam, &app, "/search?q=spark").await;
    assert!(found.contains("/training/spark-internals"));
}

async fn search_takes_any_input_and_shows_each_person_what_they_may_see(backend: Backend) {
    use campus_core::store::search::{put, Audience, Document, Kind};
    let app = TestApp::spawn(backend).await;
    let lead = app.create_user("lena", &[Role::Staff]).await;
    let other = app.create_user("olga", &[Role::Staff]).await;
    app.create_user("omar", &[Role::Operator]).await;
    let pid = app.project("Urban forest", lead, &[]).await;
    let _ = other;
    let mut tx = app.db.pool.begin().await.unwrap();
    let now = campus_core::clock::now();
    put(
        &mut tx,
        &Document {
            kind: Kind::Dataset,
            ref_id: 1,
            audience: Audience::Staff,
            title: "Street tree survey",
            body: "Tree species by street",
            url: "/datasets/1",
        },
        now,
    )
    .await
    .unwrap();
    put(
        &mut tx,
        &Document {
            kind: Kind::Request,
            ref_id: 2,
            audience: Audience::Project(pid),
            title: "JupyterLab for Urban forest",
            body: "Tree detection notebooks",
            url: "/requests/2",
        },
        now,
    )
    .await
    .unwrap();
    for i in 0..45 {
        let title = format!("Alpha project {i}");
        put(
            &mut tx,
            &Document {
                kind: Kind::Project,
                ref_id: 100 + i,
                audience: Audience::Public,
                title: &title,
                body: "alpha",
                url: &format!("/showcase/alpha-{i}"),
            },
            now,
        )
        .await
        .unwrap();
    }
    // Newer than every "Alpha project", but with the word only in its text: it ranks last.
    put(
        &mut tx,
        &Document {
            kind: Kind::Project,
            ref_id: 200,
            audience: Audience::Public,
            title: "Beta project",
            body: "Follows on from alpha",
            url: "/showcase/beta",
        },
        now,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    for q in [
        "\"",
        "*",
        "OR AND NOT",
        "tree\" OR \"",
        "'; DROP TABLE users;--",
        "NEAR(tree street)",
        "tree^2 -x",
        "дерево",
        "樹木",
        "🌳",
        ":*&|!",
        "",
    ] {
        let (s, _) = anon_text(&app, &format!("/search?q={}", app::forms::url_encode(q))).await;
        assert_eq!(s, 200, "{q:?}");
    }
    let long = "tree ".repeat(2000);
    let (s, _) = anon_text(
        &app,
        &format!("/search?q={}", app::forms::url_encode(&long)),
    )
    .await;
    assert_eq!(s, 200);
    let (_, punct) = anon_text(&app, "/search?q=%22%22%28%29").await;
    assert!(punct.contains("Type words to search for"), "{punct}");
    let (_, common) = anon_text(&app, "/search?q=The+of+the").await;
    assert!(
        common.contains("“the”, “of” are too common to search for"),
        "{common}"
    );
    // Common words are left out on both databases alike: PostgreSQL's index never holds them,
    // and SQLite would otherwise demand "the" in every match.
    let (_, s) = page(
        &app.browser_for("olga").await,
        &app,
        "/search?q=the+trees+of",
    )
    .await;
    assert!(s.contains("/datasets/1"), "{s}");

    let (_, a) = anon_text(&app, "/search?q=tree").await;
    assert!(
        !a.contains("/datasets/1") && !a.contains("/requests/2"),
        "{a}"
    );
    let (_, s) = page(&app.browser_for("olga").await, &app, "/search?q=tree").await;
    assert!(
        s.contains("/datasets/1") && !s.contains("/requests/2"),
        "{s}"
    );
    let (_, l) = page(&app.browser_for("lena").await, &app, "/search?q=tree").await;
    assert!(l.contains("/datasets/1") && l.contains("/requests/2"));
    assert!(
        l.contains("<mark>Tree</mark>"),
        "matches are highlighted: {l}"
    );
    let (_, o) = page(&app.browser_for("omar").await, &app, "/search?q=trees").await;
    assert!(
        o.contains("/requests/2"),
        "operators see every project's requests; stems match: {o}"
    );

    // Keyset pages: every match once, in pages of 20; the words in a title rank first, then
    // the newest.
    let mut seen = std::collections::BTreeSet::new();
    let mut order = Vec::new();
    let mut path = "/search?q=alpha".to_owned();
    let mut pages = 0;
    loop {
        let (_, html) = anon_text(&app, &path).await;
        pages += 1;
        for part in html.split("href=\"/showcase/").skip(1) {
            let slug = &part[..part.find('"').unwrap()];
            if order.last().map(String::as_str) != Some(slug) {
                order.push(slug.to_owned());
            }
        }
        for i in 0..45 {
            if html.contains(&format!("href=\"/showcase/alpha-{i}\"")) {
                assert!(seen.insert(i), "alpha-{i} shown twice");
            }
        }
        match html.split("href=\"/search?q=alpha&amp;after=").nth(1) {
            Some(rest) => {
                path = format!("/search?q=alpha&after={}", &rest[..rest.find('"').unwrap()])
            }
            None => break,
        }
        assert!(pages < 5);
    }
    assert_eq!((seen.len(), pages), (45, 3));
    let mut expected: Vec<String> = (0..45).rev().map(|i| format!("alpha-{i}")).collect();
    expected.push("beta".to_owned());
    assert_eq!(
        order, expected,
        "title matches newest first, then the text match"
    );
}

/// PostgreSQL checks the newest 2,000 documents one by one and turns to its indexes for older
/// ones; SQLite reads its index throughout. Either way a rare word's old matches are found, and
/// a common word's page is its newest matches.
async fn search_finds_old_rare_matches_behind_many_newer_documents(backend: Backend) {
    use campus_core::store::search::{put, Audience, Document, Kind};
    let app = TestApp::spawn(backend).await;
    let pool = &app.db.pool;
    let zebra = |i: i64| async move {
        let mut tx = pool.begin().await.unwrap();
        put(
            &mut tx,
            &Document {
                kind: Kind::Project,
                ref_id: 900_000 + i,
                audience: Audience::Public,
                title: &format!("Zebra crossings {i}"),
                body: "Counted from street images",
                url: &format!("/showcase/zebra-{i}"),
            },
            0,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    };
    // 20,000 documents at a time: more than one of PostgreSQL's search chunks (16,384 rows), so
    // the rare matches sit in different chunks, behind a full one.
    let filler = |from: i64| async move {
        sqlx::query(&format!(
            "WITH RECURSIVE k(i) AS (SELECT {from} UNION ALL SELECT i + 1 FROM k WHERE i < {}) \
             INSERT INTO search_documents (kind, ref_id, audience, project_id, title, body, url, updated_at) \
             SELECT 'project', i, 'public', NULL, 'Filler ' || CAST(i AS TEXT), 'common words', \
             '/showcase/filler-' || CAST(i AS TEXT), 0 FROM k",
            from + 19_999
        ))
        .execute(pool)
        .await
        .unwrap();
    };
    for i in 0..3 {
        zebra(i).await;
    }
    filler(1).await;
    zebra(3).await;
    filler(20_001).await;
    for q in ["zebra", "crossing zebra", "street zebras"] {
        let (_, html) = anon_text(&app, &format!("/search?q={}", app::forms::url_encode(q))).await;
        let at: Vec<usize> = (0..4)
            .rev()
            .map(|i| {
                html.find(&format!("/showcase/zebra-{i}\""))
                    .unwrap_or_else(|| panic!("{q}: zebra-{i} found"))
            })
            .collect();
        assert!(at.is_sorted(), "{q}: newest first: {at:?}");
    }
    let (_, html) = anon_text(&app, "/search?q=common").await;
    let shown: Vec<&str> = html
        .split("href=\"/showcase/filler-")
        .skip(1)
        .map(|rest| &rest[..rest.find('"').unwrap()])
        .collect();
    let newest: Vec<String> = (39_981..=40_000).rev().map(|i| i.to_string()).collect();
    assert_eq!(shown, newest, "the newest twenty");
}

/// GET with no token at all: (status, the body as JSON).
async fn anon_json(app: &TestApp, path: &str) -> (u16, serde_json::Value) {
    let r = anon(app, path).await;
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn the_public_api_serves_project_pages_courses_and_search(backend: Backend) {
    use reqwest::Method;
    let app = TestApp::spawn(backend).await;
    let lead = app.create_user("lena", &[Role::Staff]).await;
    app.create_user("sam", &[Role::Staff]).await;
    let pid = app.project("Urban forest", lead, &[]).await;
    let lena = app.browser_for("lena").await;
    let body = "# Aim\n\nCount *trees*. <script>alert(1)</script>";
    let r = post(
        &lena,
        &app,
        &format!("/projects/{pid}/showcase"),
        &page_form("Urban forest", "Lena\nMax", body, "publish"),
    )
    .await;
    assert_eq!(location(&r), format!("/projects/{pid}/showcase"));
    for (title, audience) in [("Python basics", "public"), ("Spark internals", "staff")] {
        let form = [
            ("title", title),
            ("topic", "Python"),
            ("summary", "Forest data in pandas."),
            ("audience", audience),
        ];
        post(&lena, &app, "/training", &form).await;
    }

    // Project pages: the list with its filters, and one page as published.
    let (s, list) = anon_json(&app, "/api/v1/showcase").await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list["projects"][0]["slug"], "urban-forest", "{list}");
    assert_eq!(list["projects"][0]["url"], "/showcase/urban-forest");
    assert_eq!(list["years"], serde_json::json!([2019]));
    assert!(list["next"].is_null());
    let (_, none) = anon_json(&app, "/api/v1/showcase?tag=transport").await;
    assert_eq!(none["projects"], serde_json::json!([]), "{none}");
    let (s, bad) = anon_json(&app, "/api/v1/showcase?year=abc").await;
    assert_eq!(
        (s, &bad["error"]["code"]),
        (400, &"bad_query".into()),
        "{bad}"
    );
    let (s, one) = anon_json(&app, "/api/v1/showcase/urban-forest").await;
    assert_eq!(s, 200, "{one}");
    assert_eq!(one["team"], serde_json::json!(["Lena", "Max"]));
    assert_eq!(one["links"][0]["url"], "https://example.org/code");
    let html = one["html"].as_str().unwrap();
    assert!(
        html.contains("<h2>Aim</h2>") && !html.contains("<script"),
        "{html}"
    );
    let (s, missing) = anon_json(&app, "/api/v1/showcase/no-such-page").await;
    assert_eq!((s, &missing["error"]["code"]), (404, &"not_found".into()));

    // Courses: the public ones for anyone, staff ones with a staff token; a bad token is
    // refused, never read as anonymous.
    let slugs = |v: &serde_json::Value| -> Vec<String> {
        v["courses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["slug"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, public) = anon_json(&app, "/api/v1/courses").await;
    assert_eq!(slugs(&public), ["python-basics"]);
    let sam = token_for(&app, "sam").await;
    let (_, all) = api(&app, Method::GET, "/api/v1/courses", &sam, None).await;
    assert_eq!(slugs(&all), ["python-basics", "spark-internals"]);
    let (s, _) = api(&app, Method::GET, "/api/v1/courses", "cpat_nonsense", None).await;
    assert_eq!(s, 401);
    let (s, _) = anon_json(&app, "/api/v1/courses/spark-internals").await;
    assert_eq!(s, 401);
    let (s, course) = api(
        &app,
        Method::GET,
        "/api/v1/courses/spark-internals",
        &sam,
        None,
    )
    .await;
    assert_eq!((s, &course["public"]), (200, &false.into()), "{course}");

    // Search: the same results as the page, plain text with the matched words named.
    let (_, found) = anon_json(&app, "/api/v1/search?q=FOREST").await;
    let urls: Vec<&str> = found["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["url"].as_str().unwrap())
        .collect();
    assert_eq!(
        urls,
        ["/showcase/urban-forest", "/training/python-basics"],
        "{found}"
    );
    assert_eq!(found["results"][0]["title"], "Urban forest");
    assert_eq!(
        found["results"][0]["matched"],
        serde_json::json!(["forest"])
    );
    let (_, staff) = api(&app, Method::GET, "/api/v1/search?q=forest", &sam, None).await;
    assert_eq!(staff["results"].as_array().unwrap().len(), 3, "{staff}");
    let (s, common) = anon_json(&app, "/api/v1/search?q=the+of").await;
    assert_eq!(s, 200);
    assert_eq!(common["too_common"], serde_json::json!(["the", "of"]));
    let (s, odd) = anon_json(&app, "/api/v1/search?q=%22%27%3B--&after=x").await;
    assert_eq!((s, &odd["results"]), (200, &serde_json::json!([])));

    let (_, doc) = anon_json(&app, "/api/v1/openapi.json").await;
    for path in [
        "/api/v1/showcase/{slug}",
        "/api/v1/courses",
        "/api/v1/search",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} documented");
    }
}

both_backends!(
    the_public_api_serves_project_pages_courses_and_search,
    search_finds_old_rare_matches_behind_many_newer_documents,
    a_lead_publishes_a_page_that_anyone_reads_without_wasm,
    a_project_page_lists_its_published_services_while_they_run,
    another_replicas_change_reaches_the_cache_within_seconds,
    announcements_show_on_every_page_until_they_end,
    courses_are_public_or_for_staff_with_pages_and_attachments,
    search_takes_any_input_and_shows_each_person_what_they_may_see,
);
