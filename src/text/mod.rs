//! Text analysis of free-text comments, pure and without I/O: sentiment (a port of VADER)
//! and the language check that decides whether a comment can be scored at all.

pub mod language;
mod lexicon;
pub mod sentiment;

#[cfg(test)]
mod parity_tests;
