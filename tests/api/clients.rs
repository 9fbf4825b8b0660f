//! The typed API clients generated from the OpenAPI document, each run by its own test
//! (tests/clients/ts, tests/clients/python) against the real service on a fresh database:
//! the generators read the service's `/openapi.json`, so a change to the document that
//! breaks a client fails here. Missing tools fail the test with what to install.

use crate::browser::{repo, run};
use crate::helpers::spawn_app;
use tokio::process::Command;

/// Runs `command` against a fresh service, with its address and keys in the environment.
async fn run_client(mut command: Command, what: &str) {
    let app = spawn_app().await;
    command
        .env("FEEDBACKD_BASE", &app.address)
        .env("FEEDBACKD_SECRET", &app.fixture.secret_key)
        .env("FEEDBACKD_KEY", &app.fixture.publishable_key);
    run(&mut command, what).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_generated_typescript_client_creates_answers_reads_pages_and_exports() {
    assert!(
        repo().join("tests/clients/node_modules/openapi-typescript").exists(),
        "needs tests/clients/node_modules (npm ci --prefix tests/clients); `scripts/test` installs it"
    );
    let mut npm = Command::new("npm");
    npm.args(["run", "--silent", "--prefix", "tests/clients", "ts"]);
    run_client(npm, "the TypeScript client test (npm run ts in tests/clients)").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_generated_python_client_creates_answers_reads_pages_and_exports() {
    // Installs its generator (PyPI, pinned) into target/clients-venv on first use.
    run_client(Command::new("tests/clients/python/run"), "the Python client test (tests/clients/python/run)")
        .await;
}
