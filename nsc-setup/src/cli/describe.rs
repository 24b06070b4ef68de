//! `nsc-setup describe`: the estate as tables.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use super::common::DirArgs;

/// `describe` arguments.
#[derive(Debug, Clone, Args)]
pub struct DescribeArgs {
    /// The estate.
    #[command(flatten)]
    pub dir: DirArgs,
}

/// Prints the estate.
pub fn run(args: &DescribeArgs) -> anyhow::Result<ExitCode> {
    let estate = nsc_setup::load_dir(&args.dir.dir)
        .with_context(|| format!("reading `{}`", args.dir.dir.display()))?;
    print!("{}", nsc_setup::describe(&estate));
    Ok(ExitCode::SUCCESS)
}
