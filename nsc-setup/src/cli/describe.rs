//! `nsc-setup describe`: the estate as tables.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use nsc_setup::topology::SERVICES_ACCOUNT;
use nsc_setup::{Estate, Layout};

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
    print!("{}", nsc_setup::regions_describe::table(&args.dir.dir));
    let identities = identity_lines(&estate, &layout);
    if !identities.is_empty() {
        println!("Service identities");
        for line in identities {
            println!("  {line}");
        }
        println!();
    }
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

/// One line per service identity of an isolated estate (`init --service`): what it is,
/// its user and its creds file; none for the generic layout.
pub fn identity_lines(estate: &Estate, layout: &Layout) -> Vec<String> {
    let Some(account) = estate.account(SERVICES_ACCOUNT) else {
        return Vec::new();
    };
    let users = account
        .users
        .iter()
        .map(|u| (u.name.as_str(), u.claims.nats.tags.as_slice()));
    let found = nsc_setup::services::identities(users);
    let width = found.iter().map(|i| i.user.len()).max().unwrap_or(0);
    found
        .iter()
        .map(|identity| {
            let what = match &identity.site {
                Some(site) => format!("agent of {} at {site}", identity.service),
                None => format!("admin of {}", identity.service),
            };
            let creds =
                layout
                    .key_store()
                    .creds_path(&estate.operator.name, &account.name, &identity.user);
            format!(
                "{user:<width$}  {what}: {}",
                creds.display(),
                user = identity.user
            )
        })
        .collect()
}
