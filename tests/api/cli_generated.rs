//! What is generated from the command line's own definitions: shell completions, the man
//! page, and docs/configuration.md (which must be what the code generates now).

use crate::cli::feedbackd;
use feedbackd::cli::reference::REGENERATE;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What a successful `feedbackd ARGS` printed on stdout.
fn printed(args: &[&str]) -> String {
    let out = feedbackd(None, args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// `text` in a file of its own, for the tools that read files.
fn in_file(name: &str, text: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("{}-{name}", uuid::Uuid::new_v4().simple()));
    std::fs::write(&path, text).unwrap();
    path
}

fn installed(tool: &str) -> bool {
    Command::new("sh").args(["-c", &format!("command -v {tool}")]).output().is_ok_and(|o| o.status.success())
}

#[test]
fn bash_completes_the_commands_and_their_flags() {
    let script = in_file("feedbackd.bash", &printed(&["completions", "bash"]));
    // What bash offers after `feedbackd su` and `feedbackd serve --writer-b`, asked the way
    // bash's `complete -F` asks: (command, word being completed, word before it).
    let complete = |words: &str, current: &str, before: &str| {
        let out = Command::new("bash")
            .arg("-c")
            .arg(format!(
                "source {script}; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); \
                 _feedbackd feedbackd '{current}' '{before}'; echo \"${{COMPREPLY[@]}}\"",
                script = script.display()
            ))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(complete("feedbackd su", "su", "feedbackd").trim(), "survey");
    let mut offered: Vec<String> =
        complete("feedbackd se", "se", "feedbackd").split_whitespace().map(String::from).collect();
    offered.sort();
    assert_eq!(offered, ["seed", "serve"]);
    assert!(complete("feedbackd serve --writer-b", "--writer-b", "serve").contains("--writer-batch"));
    let _ = std::fs::remove_file(script);
}

#[test]
fn every_shell_gets_a_completion_script_naming_the_commands() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = printed(&["completions", shell]);
        for command in ["serve", "survey", "report-link", "completions"] {
            assert!(script.contains(command), "{shell} completions lack {command}");
        }
    }
    for (shell, check) in [("zsh", "-n"), ("fish", "--no-execute")] {
        if installed(shell) {
            let script = in_file(shell, &printed(&["completions", shell]));
            let out = Command::new(shell).arg(check).arg(&script).output().unwrap();
            assert!(out.status.success(), "{shell}: {}", String::from_utf8_lossy(&out.stderr));
            let _ = std::fs::remove_file(script);
        }
    }
    let unknown = feedbackd(None, &["completions", "tcsh"]);
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn the_man_page_is_roff_that_man_renders() {
    let page = printed(&["man"]);
    // clap_mangen defines a quote string before the title; the title comes before any text.
    let first_text = page.lines().find(|l| !l.starts_with(".ie ") && !l.starts_with(".el ")).unwrap();
    assert!(first_text.starts_with(".TH feedbackd 1"), "{first_text}");
    for section in [".SH NAME", ".SH SYNOPSIS", ".SH SUBCOMMANDS", ".SH VERSION"] {
        assert!(page.contains(section), "no {section}");
    }
    if installed("man") {
        let file = in_file("feedbackd.1", &page);
        let out =
            Command::new("man").args(["-P", "cat", "-l"]).arg(&file).env("MANWIDTH", "100").output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let rendered = String::from_utf8_lossy(&out.stdout);
        assert!(rendered.contains("feedbackd - ") && rendered.contains("feedbackd-serve"), "{rendered}");
        let _ = std::fs::remove_file(file);
    }
    if installed("groff") {
        // -ww: every warning; -z: no output. Valid roff warns about nothing.
        let file = in_file("feedbackd.1", &page);
        let out = Command::new("groff").args(["-man", "-Tutf8", "-ww", "-z"]).arg(&file).output().unwrap();
        assert!(out.status.success() && out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
        let _ = std::fs::remove_file(file);
    }
}

#[test]
fn docs_configuration_md_is_what_the_code_generates() {
    let generated = printed(&["config-reference"]);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/configuration.md");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/configuration.md is not what the command line's definitions generate; regenerate it with\n  {REGENERATE}"
    );
}

#[test]
fn the_configuration_reference_lists_every_variable_serve_reads() {
    let reference = printed(&["config-reference"]);
    let help = printed(&["serve", "--help"]);
    let variables: Vec<&str> =
        help.split("[env:").skip(1).map(|rest| rest.trim_start().split(['=', ']']).next().unwrap()).collect();
    assert!(variables.len() > 30 && variables.contains(&"FEEDBACKD_DEMO"), "{variables:?}");
    for variable in variables {
        assert!(reference.contains(&format!("| `{variable}` |")), "{variable} is not in the reference");
    }
    // Ranges come from the value parsers themselves.
    assert!(reference.contains("| `FEEDBACKD_WRITER_BATCH` | `500` | 1 to 2,000 |"), "{reference}");
    assert!(reference.contains("| `FEEDBACKD_LOG_FORMAT` | `text` | `text`, `json` |"), "{reference}");
}
