//! The typed API clients generated from the OpenAPI document, each run by its own test
//! (tests/clients/ts, tests/clients/python) against the real service on a fresh database:
//! the generator reads the service's `/openapi.json`, so a change to the document that
//! breaks a client fails here. Missing tools fail the test with what to install.

use crate::browser::{repo, run};
use crate::helpers::spawn_app;
use tokio::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_generated_typescript_client_creates_answers_reads_pages_and_exports() {
    assert!(
        repo().join("tests/clients/node_modules/openapi-typescript").exists(),
        "needs tests/clients/node_modules (npm ci --prefix tests/clients); `scripts/test` installs it"
    );
    let app = spawn_app().await;
    run(
        Command::new("npm")
            .args(["run", "--silent", "--prefix", "tests/clients", "ts"])
            .env("FEEDBACKD_BASE", &app.address)
            .env("FEEDBACKD_SECRET", &app.fixture.secret_key)
            .env("FEEDBACKD_KEY", &app.fixture.publishable_key),
        "the TypeScript client test (npm run ts in tests/clients)",
    )
    .await;
}
