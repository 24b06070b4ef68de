//! The NATS fact durable provisioning requests rest on (issue 24): a request a tenant
//! sends through its import can be kept in a JetStream stream of the services account
//! (answered at once by the stream, processed when an agent comes), but the stream keeps
//! no `Nats-Request-Info`, the header agents identify the tenant by. With an export whose
//! second token is the importer's account key (`account_token_position = 2`), each
//! tenant's import reaches `svc.<its account>.>` only, so the tenant is in the subject:
//! put there by the server, kept by the stream, unforgeable by another tenant (whose
//! import of acme's token the server refuses).

use std::time::Duration;

use claims::{Export, ExportType, Import};
use integration_tests::{mint_user, NatsServer, ServerOptions, TestOperator};

fn unlimited() -> claims::JetStreamLimits {
    claims::JetStreamLimits {
        mem_storage: -1,
        disk_storage: -1,
        streams: -1,
        consumer: -1,
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_request_names_its_tenant_in_the_subject_and_no_other_tenant_can() {
    let op = TestOperator::new("OP").unwrap();
    let services = op
        .account("SERVICES", |c| {
            c.nats.limits.jetstream = unlimited();
            c.nats.exports.push(Export {
                name: "svc".into(),
                subject: "svc.*.>".into(),
                export_type: Some(ExportType::Service),
                response_type: "Stream".into(),
                account_token_position: 2,
                ..Export::default()
            });
        })
        .unwrap();
    let acme_key = claims::KeyPair::new_account();
    let acme_pub = acme_key.public_key();
    let svc_pub = services.public_key();
    let import = |who: &str| Import {
        name: "svc".into(),
        subject: format!("svc.{who}.>"),
        account: svc_pub.clone(),
        local_subject: "svc.>".into(),
        import_type: Some(ExportType::Service),
        share: true,
        ..Import::default()
    };
    let acme = {
        let mut c = claims::AccountClaims::new_account(acme_pub.clone());
        c.name = "acme".into();
        c.nats.imports.push(import(&acme_pub));
        let jwt = c.encode(&op.key, integration_tests::unix_now()).unwrap();
        integration_tests::TestAccount {
            key: acme_key,
            claims: c,
            jwt,
        }
    };
    let acme_pub2 = acme_pub.clone();
    let evil = op
        .account("evil", move |c| c.nats.imports.push(import(&acme_pub2)))
        .unwrap();
    let config = op.memory_resolver_config(&[&services, &acme, &evil]);
    let server = NatsServer::start_with(ServerOptions::new(config).jetstream(true)).unwrap();
    let url = server.client_url();
    let agent = mint_user(&services.key, &services.public_key(), "agent", |_| {}).unwrap();
    let a = async_nats::ConnectOptions::with_credentials(&agent.creds)
        .unwrap()
        .connect(&url)
        .await
        .unwrap();
    let js = async_nats::jetstream::new(a.clone());
    js.create_stream(async_nats::jetstream::stream::Config {
        name: "SVC".into(),
        subjects: vec!["svc.*.test.*.allocate".into()],
        retention: async_nats::jetstream::stream::RetentionPolicy::WorkQueue,
        ..Default::default()
    })
    .await
    .unwrap();
    let mut live = a.subscribe("svc.*.test.*.ping").await.unwrap();
    a.flush().await.unwrap();

    let alice = mint_user(&acme.key, &acme_pub, "alice", |_| {}).unwrap();
    let c = async_nats::ConnectOptions::with_credentials(&alice.creds)
        .unwrap()
        .connect(&url)
        .await
        .unwrap();
    // The stream answers the tenant at once (the request is kept, 202-style), under a
    // subject whose second token is acme's account key, which the server put there.
    let ack = c
        .request("svc.test.sto1.allocate", "{}".into())
        .await
        .unwrap();
    let ack: serde_json::Value = serde_json::from_slice(&ack.payload).unwrap();
    assert_eq!(
        (ack["stream"].as_str(), ack["seq"].as_u64()),
        (Some("SVC"), Some(1))
    );
    // A live request carries the same account token, and the shared identity header.
    c.publish("svc.test.sto1.ping", "hi".into()).await.unwrap();
    c.flush().await.unwrap();
    let live = tokio::time::timeout(Duration::from_secs(5), futures::StreamExt::next(&mut live))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        live.subject.as_str(),
        format!("svc.{acme_pub}.test.sto1.ping")
    );
    assert!(live.headers.unwrap().get("Nats-Request-Info").is_some());

    // Another tenant that imports acme's token gets nothing through: no responder, and
    // nothing is kept in acme's name.
    let mallory = mint_user(&evil.key, &evil.public_key(), "mallory", |_| {}).unwrap();
    let e = async_nats::ConnectOptions::with_credentials(&mallory.creds)
        .unwrap()
        .connect(&url)
        .await
        .unwrap();
    let refused = e.request("svc.test.sto1.allocate", "{}".into()).await;
    assert_eq!(
        refused.unwrap_err().kind(),
        async_nats::RequestErrorKind::NoResponders
    );
    let mut stream = js.get_stream("SVC").await.unwrap();
    assert_eq!(stream.info().await.unwrap().state.messages, 1);
    let kept = stream.get_raw_message(1).await.unwrap();
    assert_eq!(
        kept.subject.as_str(),
        format!("svc.{acme_pub}.test.sto1.allocate")
    );
}
