// `embed_migrations!` reads the migrations at compile time, but cargo does not know it:
// without this, an edited or added migration is not embedded until something else in the
// crate changes, and tests then run a binary with the old schema.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
