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
    let layout = nsc_setup::Layout::new(&args.dir.dir);
    let config = layout.portal_toml();
    // Only a portal estate has portal.toml; the others have no portal line.
    if let Ok(portal) = std::fs::read_to_string(&config) {
        let policy = std::fs::read_to_string(layout.policy_toml()).unwrap_or_default();
        let path = config.display().to_string();
        print!(
            "{}",
            nsc_setup::portal::describe_line(&path, &portal, &policy)
        );
    }
    Ok(ExitCode::SUCCESS)
}
