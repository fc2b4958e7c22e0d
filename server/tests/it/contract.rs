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
    let mut failed = Vec::new();
    // One demo person per role: staff, operator, reviewer, output checker, administrator,
    // partner.
    for who in ["sam", "omar", "rachel", "cora", "admin", "pat"] {
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
        let report = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            // The failures section names each failing operation and the request that shows it
            // (a curl line); the summary after it only counts them.
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
            failed.push(format!("as {who}:\n{}", lines[from..to].join("\n")));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

both_backends!(every_answer_keeps_to_the_openapi_document_for_every_role);
