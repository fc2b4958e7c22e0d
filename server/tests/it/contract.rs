//! The JSON API against its own OpenAPI document: schemathesis (installed by scripts/test)
//! generates requests for every operation from the document, as each role's token, against the
//! demo content, and checks every answer: no server errors, only documented status codes, and
//! bodies, content types and headers as documented.
//!
//! Request-side checks (does the API refuse every schema-violating request, accept every
//! schema-valid one) are left out: the API refuses schema-valid requests for reasons a schema
//! cannot say (an application in the wrong state, a size the offering lacks), and that is right.

use crate::both_backends;
use crate::support::{token_for, Backend, Options, TestApp};

const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
                      response_headers_conformance,response_schema_conformance";

async fn every_answer_keeps_to_the_openapi_document_for_every_role(backend: Backend) {
    // One demo person per role: staff, operator, reviewer, output checker, administrator,
    // partner. Each role has a portal of its own and they are checked side by side: what one
    // role's requests change cannot change what another is answered, and the test takes as long
    // as the slowest role rather than all six in turn.
    let runs: Vec<_> = ["sam", "omar", "rachel", "cora", "admin", "pat"]
        .into_iter()
        .map(|who| tokio::spawn(failures_as(backend, who)))
        .collect();
    let mut failed = Vec::new();
    for run in runs {
        failed.extend(run.await.expect("a role's check ran to its end"));
    }
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

/// What schemathesis found wrong in the answers to `who`'s token, if anything.
async fn failures_as(backend: Backend, who: &'static str) -> Option<String> {
    let app = TestApp::spawn_with(
        backend,
        Options {
            demo: true,
            run_worker: false,
            ..Default::default()
        },
    )
    .await;
    let schemathesis = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../.local/tools/bin/schemathesis"
    );
    let token = token_for(&app, who).await;
    let out = tokio::process::Command::new(schemathesis)
        .args(["run", &app.url("/api/v1/openapi.json")])
        .args(["--url", &app.base])
        .args(["-H", &format!("Authorization: Bearer {token}")])
        .args(["--checks", CHECKS])
        .args(["--max-examples", "10", "--seed", "1", "--no-color"])
        // It keeps a cache where it runs: not in the checkout.
        .current_dir(std::env::temp_dir())
        .output()
        .await
        .expect("schemathesis is installed in .local/tools (scripts/test installs it)");
    if out.status.success() {
        return None;
    }
    // The failures section names each failing operation and the request that shows it (a curl
    // line); the summary after it only counts them.
    let report = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = report.lines().collect();
    let from = lines
        .iter()
        .position(|l| l.contains("FAILURES"))
        .unwrap_or(lines.len().saturating_sub(60));
    let to = lines
        .iter()
        .rposition(|l| l.contains("SUMMARY"))
        .filter(|&to| to > from)
        .unwrap_or(lines.len());
    Some(format!("as {who}:\n{}", lines[from..to].join("\n")))
}

both_backends!(every_answer_keeps_to_the_openapi_document_for_every_role);
