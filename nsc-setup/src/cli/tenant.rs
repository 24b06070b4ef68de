//! `nsc-setup tenant add`: add a tenant to an existing estate, optionally pushing its
//! account to a running full resolver.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use nsc_setup::{PushOptions, TenantSpec};

use super::common::{print_push_report, runtime, DirArgs};

/// `tenant add` arguments.
#[derive(Debug, Clone, Args)]
pub struct TenantAddArgs {
    /// The tenant's name (letters, digits, `_`, `-`).
    pub name: String,
    /// The estate.
    #[command(flatten)]
    pub dir: DirArgs,
    /// Make its minted-users signing key scoped.
    #[arg(long, env = "NSC_SETUP_SCOPED_KEYS")]
    pub scoped_key: bool,
    /// Push the new account to the full resolver of this running server.
    #[arg(long, env = "NSC_SETUP_PUSH_URL")]
    pub push: Option<String>,
}

/// Adds the tenant, pushes it when asked, then records it in the resolver directory.
pub fn run(args: &TenantAddArgs) -> anyhow::Result<ExitCode> {
    let tenant = TenantSpec {
        name: args.name.clone(),
        scoped: args.scoped_key,
    };
    let added = nsc_setup::add_tenant(&args.dir.dir, &tenant)
        .with_context(|| format!("adding tenant `{}`", args.name))?;
    let key = added
        .account()
        .map(|a| a.public_key().to_owned())
        .unwrap_or_default();
    println!(
        "added tenant {} (account {key}), {} files written",
        added.name,
        added.files.len()
    );
    let mut ok = true;
    if let Some(url) = &args.push {
        let report = runtime()?.block_on(nsc_setup::push_dir(
            &added.dir,
            url,
            &[added.name.as_str()],
            PushOptions::default(),
        ));
        match report {
            Ok(report) => ok = print_push_report(&report),
            Err(err) => {
                eprintln!("nsc-setup: pushing to `{url}`: {err:#}");
                ok = false;
            }
        }
    }
    added
        .record_in_resolver()
        .context("writing the resolver directory")?;
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
