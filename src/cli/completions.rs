//! `vigil completions SHELL` and `vigil man`: shell completions and the
//! man page, generated from the same clap definitions the commands parse
//! with, so they never fall behind. Neither reads a config or a store.

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, CommandFactory};
use clap_complete::Shell;
use color_eyre::eyre::Result;

use super::Cli;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, powershell or elvish; e.g. `vigil completions bash > /etc/bash_completion.d/vigil`
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn completions(a: &CompletionsArgs) -> Result<ExitCode> {
    let mut cmd = Cli::command();
    clap_complete::generate(a.shell, &mut cmd, "vigil", &mut std::io::stdout().lock());
    Ok(ExitCode::SUCCESS)
}

/// The man page of `vigil` and one section per command, as roff: `vigil
/// man > vigil.1; man ./vigil.1`.
pub fn man() -> Result<ExitCode> {
    let cmd = Cli::command();
    let mut out = std::io::stdout().lock();
    let page = clap_mangen::Man::new(cmd.clone());
    page.render_title(&mut out)?;
    page.render_name_section(&mut out)?;
    page.render_synopsis_section(&mut out)?;
    page.render_description_section(&mut out)?;
    page.render_options_section(&mut out)?;
    writeln!(out, ".SH COMMANDS")?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        writeln!(out, ".TP\n\\fBvigil {}\\fR", sub.get_name())?;
        if let Some(about) = sub.get_about() {
            writeln!(out, "{}", roff_text(&about.to_string()))?;
        }
        let usage = sub
            .clone()
            .bin_name(format!("vigil {}", sub.get_name()))
            .render_usage();
        writeln!(out, ".br\n{}", roff_text(&usage.to_string()))?;
    }
    page.render_version_section(&mut out)?;
    page.render_authors_section(&mut out)?;
    Ok(ExitCode::SUCCESS)
}

/// Text as a roff line: a leading dot or quote would be read as a request,
/// backslashes as escapes.
fn roff_text(s: &str) -> String {
    let s = s.replace('\\', "\\e");
    if s.starts_with('.') || s.starts_with('\'') {
        format!("\\&{s}")
    } else {
        s
    }
}
