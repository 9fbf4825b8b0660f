//! `feedbackd user`: console accounts and their roles (issue 23).

use super::admin::print;
use super::Database;
use crate::cli::{GlobalArgs, UserCommand};
use anyhow::Context;
use feedbackd_core::accounts;
use rand::distributions::{Alphanumeric, DistString};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

/// An account just made, with the password when it was made up here (shown this once).
#[derive(Serialize)]
struct Created {
    #[serde(flatten)]
    user: feedbackd_store::accounts::User,
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<String>,
}

pub fn run(global: &GlobalArgs, command: UserCommand) -> anyhow::Result<()> {
    let database = Database::open(global)?;
    let services = database.services()?;
    let db = &services.db;
    match command {
        UserCommand::Create { email, name, admin, password_stdin, output } => {
            let (password, made_up) = if password_stdin {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line).context("reading the password from stdin")?;
                (SecretString::from(line.trim_end_matches(['\r', '\n']).to_string()), false)
            } else {
                (SecretString::from(Alphanumeric.sample_string(&mut rand::thread_rng(), 24)), true)
            };
            let shown = made_up.then(|| password.expose_secret().to_string());
            let user = services.block_on(accounts::create_user(db, &email, &name, Some(password), admin))?;
            let created = Created { user, password: shown };
            print(output, &created, || match &created.password {
                Some(password) => {
                    format!("{} created; its password, shown this once: {password}", created.user.email)
                }
                None => format!("{} created", created.user.email),
            })
        }
        UserCommand::Role { project, email, role, output } => {
            let user = services.block_on(accounts::set_role(db, project, &email, role))?;
            #[derive(Serialize)]
            struct Membership<'a> {
                project_id: uuid::Uuid,
                email: &'a str,
                role: feedbackd_domain::Role,
            }
            let membership = Membership { project_id: project, email: &user.email, role };
            print(output, &membership, || format!("{} is now {role} of {project}", user.email))
        }
    }
}
