use crate::helpers::{count, TestDb};
use feedbackd_store::{has_pending_migrations, run_migrations};

#[test]
fn migrations_apply_on_an_empty_database_and_are_idempotent() {
    let db = TestDb::empty();
    let mut conn = db.connect();
    assert!(has_pending_migrations(&mut conn).unwrap());
    assert!(run_migrations(&mut conn).unwrap() >= 1);
    assert_eq!(run_migrations(&mut conn).unwrap(), 0);
    assert!(!has_pending_migrations(&mut conn).unwrap());
    let tables = count(
        &mut conn,
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN \
         ('projects', 'api_keys', 'surveys', 'responses', 'score_rollups', 'score_rollups_quarter')",
    );
    assert_eq!(tables, 6);
}

#[test]
fn concurrent_migrations_take_turns_and_all_succeed() {
    let db = TestDb::empty();
    let url = db.url.clone();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                use diesel::Connection;
                let mut conn = diesel::PgConnection::establish(&url).unwrap();
                run_migrations(&mut conn)
            })
        })
        .collect();
    let applied: Vec<usize> =
        threads.into_iter().map(|t| t.join().unwrap().expect("migrate failed")).collect();
    let expected = applied.iter().max().copied().unwrap();
    assert!(expected >= 1);
    // Exactly one of them applied the migrations; the others found nothing to do.
    assert_eq!(applied.iter().sum::<usize>(), expected, "{applied:?}");
}

/// Every table but those that are not a project's: `projects` itself, and the accounts of
/// the console, `users`, their `console_sessions` and `password_resets` (a person works in
/// several projects; under Citus they would be reference tables).
#[test]
fn every_table_leads_its_primary_key_with_project_id() {
    let db = TestDb::new();
    let mut conn = db.connect();
    let offenders = count(
        &mut conn,
        "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0] \
         WHERE i.indisprimary AND n.nspname = 'public' AND c.relname NOT IN ('projects', 'users', 'console_sessions', 'password_resets') \
           AND c.relname NOT LIKE '\\_\\_%' AND a.attname <> 'project_id'",
    );
    assert_eq!(offenders, 0);
}

/// Every batch of answers updates the same few rollup rows of the current hour; those
/// updates stay HOT (no new index entries) only while no index names the column they
/// change. Migration 000180 once broke that with `INCLUDE (count)` on a partial index: a
/// partial index's predicate does not matter, any index naming the column does.
#[test]
fn no_index_names_the_count_of_the_rollups_that_ingest_updates() {
    let db = TestDb::new();
    let mut conn = db.connect();
    let offenders = count(
        &mut conn,
        "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid \
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'count' \
         WHERE c.relname IN ('score_rollups', 'score_rollups_quarter') \
           AND (a.attnum = ANY (i.indkey::int2[]) \
                OR coalesce(pg_get_expr(i.indexprs, i.indrelid), '') ~ '\\mcount\\M' \
                OR coalesce(pg_get_expr(i.indpred, i.indrelid), '') ~ '\\mcount\\M')",
    );
    assert_eq!(offenders, 0);
}
