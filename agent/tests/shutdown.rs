//! An agent whose server went away still stops on SIGTERM: draining a subscription and
//! the last flush wait for a server that is gone, so both are bounded by the shutdown
//! grace. Before, the agent kept reconnecting and never exited.

use std::time::Duration;

use agent::service::SHUTDOWN_GRACE;
use integration_tests::{workspace_bin, ProductEstate, ProductProcess};
use nsc_setup::ResolverKind;

#[test]
fn sigterm_stops_an_agent_whose_server_is_gone() {
    let estate = ProductEstate::start(&["acme"], ResolverKind::Memory, true).unwrap();
    let creds = estate.creds_path("SERVICES", "agent").display().to_string();
    let tenant = format!("acme={}", estate.account_key("acme").unwrap());
    let url = estate.url();
    let args = [
        "-s",
        &url,
        "--creds",
        &creds,
        "--site",
        "sto1",
        "--service",
        "demo",
        "--tenant",
        &tenant,
    ];
    // The log lives apart from the estate, which goes away with the server.
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("agent.log");
    let bin = workspace_bin("agent").unwrap();
    let mut agent = ProductProcess::start(&bin, &args, log, &[]).unwrap();
    agent
        .wait_for_output("serving", Duration::from_secs(30))
        .unwrap();

    drop(estate); // kills the server
    agent
        .wait_for_output("disconnected", Duration::from_secs(30))
        .unwrap();
    agent.signal("TERM").unwrap();
    let status = agent.wait_exit(SHUTDOWN_GRACE * 3).unwrap();
    assert!(status.success(), "{}", agent.output());
}
