//! The catalogue's tools start in their sandboxes: R through JupyterLab's R kernel, and Spark
//! (PySpark in local mode) with the workspaces' Python. Each runs once, for real.

use crate::both_backends;
use crate::support::{page, request, Backend, TestApp};
use campus_core::domain::Role;

/// The workspaces' Python, as scripts/setup installs it (JupyterLab's environment).
fn workspace_python() -> String {
    server::config::default_tools_dir()
        .join("jupyter-4.6.6/bin/python")
        .display()
        .to_string()
}

async fn r_and_spark_run_in_their_sandboxes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_big_host().await;
    let alice = app.create_user("alice", &[Role::Staff]).await;
    let project = app.project("Tools", alice, &[]).await;
    let a = app.browser_for("alice").await;

    // R: the R workspace's JupyterLab starts an R kernel, which answers.
    let r_lab = app.offering_id("r-workspace").await;
    let id = request(&app, &a, project, &format!("{r_lab}:small"), "private").await;
    app.wait_for_state(id, "active", 60).await;
    let (_, specs) = page(&a, &app, &format!("/w/cp-{id}/api/kernelspecs")).await;
    assert!(specs.contains("\"ir\""), "{specs}");
    let kernel: serde_json::Value = a
        .post(crate::support::app_url(&app, id, "/api/kernels"))
        .json(&serde_json::json!({"name": "ir"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kernel_id = kernel["id"].as_str().expect("a kernel").to_owned();
    let cookie = crate::support::pass_cookie_of(&app, "alice", "/w/", id).await;
    let said = crate::support::jupyter_execute(
        &app,
        &cookie,
        id,
        &kernel_id,
        "cat(R.version$language, sum(1:10), Sys.info()[['user']], '\\n')",
    )
    .await;
    assert_eq!(said.trim(), "R 55 alice", "R runs, as alice");

    // Spark: PySpark counts in local mode inside a sandbox, then serves what it counted.
    // It answers at once (so it is ready within the portal's wait), and counts when asked at
    // /count: the JVM takes a while to start on a busy machine.
    let script = "import sys, http.server\n\
        def count():\n\
        \x20   from pyspark.sql import SparkSession\n\
        \x20   s = SparkSession.builder.master('local[1]').config('spark.ui.enabled', 'false').getOrCreate()\n\
        \x20   return s.range(1000).filter('id % 7 = 0').count()\n\
        class H(http.server.BaseHTTPRequestHandler):\n\
        \x20   def do_GET(self):\n\
        \x20       body = ('spark counted %d' % count()).encode() if self.path == '/count' else b'up'\n\
        \x20       self.send_response(200); self.end_headers(); self.wfile.write(body)\n\
        http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()\n";
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(script);
    let spark = crate::isolation::use_command(
        &app,
        "web-service",
        &[
            &workspace_python(),
            "-c",
            &format!("import base64;exec(base64.b64decode('{encoded}'))"),
            "{port}",
        ],
    )
    .await;
    let sid = request(&app, &a, project, &format!("{spark}:small"), "private").await;
    app.wait_for_state(sid, "active", 120).await;
    let (status, body) = page(&a, &app, &format!("/s/cp-{sid}/count")).await;
    assert_eq!((status, body.as_str()), (200, "spark counted 143"));
}

both_backends!(r_and_spark_run_in_their_sandboxes);
