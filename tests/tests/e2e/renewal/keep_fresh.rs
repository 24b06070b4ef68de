//! `provisioner request --keep-fresh`: the creds file it writes is rewritten atomically
//! on every renewal (same seed, a later JWT, mode 0600, no temporary file left), each
//! renewal is printed, the renewed creds connect, and Ctrl-C ends it cleanly; renewals go
//! over the bootstrap connection, or with `--renew` over the user's own.

use std::time::Duration;

use integration_tests::{connect_with_creds, workspace_bin, ProductEstate, ProductProcess};
use nsc_setup::ResolverKind;

use super::policy;

/// How long the renewals below may take: 4 s creds renew about every 2 s.
const WITHIN: Duration = Duration::from_secs(20);

fn read_creds(path: &std::path::Path) -> (String, String, i64) {
    let text = std::fs::read_to_string(path).unwrap();
    let creds = claims::parse_creds(&text).unwrap();
    let exp = claims::UserClaims::decode(&creds.jwt).unwrap().exp;
    (creds.jwt, creds.seed.expose().to_owned(), exp)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_fresh_rewrites_the_creds_file_on_every_renewal_until_ctrl_c() {
    let estate = ProductEstate::start(&["acme"], ResolverKind::Memory, false).unwrap();
    let _provisioner = estate.start_provisioner("p", &[]).unwrap();
    let url = estate.url();
    let out = estate.dir.path().join("fresh/kf.creds");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let (estate_dir, bootstrap) = (
        estate.written.dir.display().to_string(),
        estate.creds_path("acme", "bootstrap").display().to_string(),
    );
    let out_arg = out.display().to_string();
    let args = [
        "request",
        "--estate",
        &estate_dir,
        "-s",
        &url,
        "--creds",
        &bootstrap,
        "--name",
        "kf",
        "--ttl",
        "4",
        "--out",
        &out_arg,
        "--keep-fresh",
    ];
    let log = estate.dir.path().join("keep-fresh.log");
    let bin = workspace_bin("provisioner").unwrap();
    let mut client = ProductProcess::start(&bin, &args, log, &[]).unwrap();
    client.wait_for_output("keeping", WITHIN).unwrap();
    let (first_jwt, first_seed, first_exp) = read_creds(&out);

    let output = client.wait_for_count("renewed: wrote", 2, WITHIN).unwrap();
    let (jwt, seed, exp) = read_creds(&out);
    assert_eq!(seed, first_seed, "the user's key stays the same");
    assert_ne!(jwt, first_jwt);
    assert!(exp > first_exp, "{exp} after {first_exp}");
    assert!(
        !output.contains(&first_seed) && !output.contains(&jwt),
        "{output}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let files: Vec<_> = std::fs::read_dir(out.parent().unwrap()).unwrap().collect();
    assert_eq!(files.len(), 1, "only the creds file: {files:?}");
    let text = std::fs::read_to_string(&out).unwrap();
    connect_with_creds(&url, &text).await.unwrap();

    client.signal("INT").unwrap();
    let status = client.wait_exit(WITHIN).unwrap();
    assert!(status.success(), "{status}: {}", client.output());
    assert!(client.output().contains("stopped;"), "{}", client.output());
}

#[test]
fn keep_fresh_with_renew_renews_over_the_users_own_connection() {
    let estate = ProductEstate::start(&["acme"], ResolverKind::Memory, true).unwrap();
    let policy = policy(&estate).display().to_string();
    let _provisioner = estate
        .start_provisioner("p", &["--registry", "--policy", &policy])
        .unwrap();
    let url = estate.url();
    let own = estate.dir.path().join("own.creds").display().to_string();
    let bootstrap = estate.creds_path("acme", "bootstrap").display().to_string();
    let bin = workspace_bin("provisioner").unwrap();
    let request = |creds: &str, more: &[&str]| {
        let mut args = vec![
            "request",
            "-s",
            &url,
            "--subject",
            "creds.request",
            "--creds",
            creds,
            "--name",
            "own",
            "--ttl",
            "4",
            "--out",
            &own,
        ];
        args.extend_from_slice(more);
        args.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let first = std::process::Command::new(&bin)
        .args(request(&bootstrap, &[]))
        .output()
        .unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let own_path = std::path::Path::new(&own);
    let (first_jwt, first_seed, _) = read_creds(own_path);

    let args = request(&own, &["--renew", "--keep-fresh"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let log = estate.dir.path().join("keep-fresh-own.log");
    let mut client = ProductProcess::start(&bin, &args, log, &[]).unwrap();
    client.wait_for_count("renewed: wrote", 2, WITHIN).unwrap();
    let (jwt, seed, _) = read_creds(own_path);
    assert_eq!(seed, first_seed);
    assert_ne!(jwt, first_jwt);
    client.signal("INT").unwrap();
    assert!(
        client.wait_exit(WITHIN).unwrap().success(),
        "{}",
        client.output()
    );
}
