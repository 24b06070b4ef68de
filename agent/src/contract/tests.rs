//! Tests of the contract: decoding and checking requests, and the wire names of replies.

use super::*;

fn allocate(json: &str) -> Result<ResourceAllocateV1, ContractError> {
    let a: ResourceAllocateV1 = decode_request(Some("ResourceAllocateV1"), json.as_bytes())?;
    a.validate()?;
    Ok(a)
}

#[test]
fn an_allocation_decodes_with_a_default_specification() {
    let a = allocate(r#"{"type":"GroupStorageResourceSpecV1","target_entity":"vo-x"}"#).unwrap();
    assert_eq!(a.resource_type, "GroupStorageResourceSpecV1");
    assert_eq!(a.specification, serde_json::json!({}));
    let a = allocate(r#"{"type":"t","target_entity":"e","specification":{"gb":5}}"#).unwrap();
    assert_eq!(a.specification["gb"], 5);
}

#[test]
fn bad_allocations_are_refused_with_safe_messages() {
    for bad in [
        r#"{"type":"t","target_entity":"e","extra":1}"#,
        r#"{"type":5,"target_entity":"e"}"#,
        r#"{"target_entity":"e"}"#,
        r#"["t","e"]"#,
        "not json",
    ] {
        assert!(
            matches!(allocate(bad), Err(ContractError::Malformed { .. })),
            "{bad}"
        );
    }
    for bad in [
        r#"{"type":"","target_entity":"e"}"#,
        r#"{"type":"a b","target_entity":"e"}"#,
        r#"{"type":"t","target_entity":" "}"#,
        r#"{"type":"t","target_entity":"a\nb"}"#,
        r#"{"type":"t","target_entity":"e","specification":[1]}"#,
    ] {
        assert!(
            matches!(allocate(bad), Err(ContractError::Field { .. })),
            "{bad}"
        );
    }
    let big = format!(
        r#"{{"type":"t","target_entity":"e","specification":{{"x":"{}"}}}}"#,
        "y".repeat(MAX_SPECIFICATION_BYTES)
    );
    assert!(matches!(
        allocate(&big),
        Err(ContractError::Field {
            field: "specification",
            ..
        })
    ));
    let huge = "x".repeat(MAX_REQUEST_BYTES + 1);
    assert_eq!(allocate(&huge), Err(ContractError::TooLarge));
}

#[test]
fn updates_are_checked_like_allocations() {
    let update = |json: &str| {
        decode_request::<ResourceUpdateV1>(Some("ResourceUpdateV1"), json.as_bytes())
            .and_then(|u| u.validate().map(|()| u))
    };
    let u = update(r#"{"id":"ABC123","specification":{"gb":9}}"#).unwrap();
    assert_eq!(u.specification["gb"], 9);
    assert_eq!(
        update(r#"{"id":"ABC"}"#).unwrap().specification,
        serde_json::json!({})
    );
    assert!(matches!(
        update(r#"{"id":"../x"}"#),
        Err(ContractError::Field { field: "id", .. })
    ));
    assert!(matches!(
        update(r#"{"id":"A","specification":"x"}"#),
        Err(ContractError::Field {
            field: "specification",
            ..
        })
    ));
    assert!(matches!(
        update(r#"{"id":"A","spec":{}}"#),
        Err(ContractError::Malformed { .. })
    ));
}

#[test]
fn the_message_type_header_must_match_the_subject() {
    let err = decode_request::<ResourceListV1>(Some("ResourceListV2"), b"{}").unwrap_err();
    assert_eq!(err.error_type(), ErrorType::UnsupportedMessage);
    assert_eq!(
        err.to_string(),
        "message type `ResourceListV2` is not supported here (expected `ResourceListV1`)"
    );
    assert!(decode_request::<ResourceListV1>(None, b"").is_ok());
    assert!(decode_request::<PingV1>(Some("PingV1"), b" ").is_ok());
    assert!(decode_request::<ResourceListV1>(None, br#"{"tenant":"x"}"#).is_err());
}

#[test]
fn replies_round_trip_with_their_wire_names() {
    let e = ErrorType::NotFound.reply("no resource `X` at site `sto1`", "sto1");
    let json = serde_json::to_value(&e).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"type":"not_found","message":"no resource `X` at site `sto1`","site":"sto1"})
    );
    let r = ResourceV1 {
        id: "X".into(),
        resource_type: "t".into(),
        target_entity: "e".into(),
        specification: serde_json::json!({}),
        created: 5,
        details: Details::new(),
    };
    let json = serde_json::to_string(&r).unwrap();
    assert_eq!(
        json,
        r#"{"id":"X","type":"t","target_entity":"e","specification":{},"created":5}"#
    );
    assert_eq!(ResourcesV1::TYPE, "ResourcesV1");
    let created = ResourceCreatedV1 {
        id: "X".into(),
        site: "s".into(),
        details: Details::new(),
    };
    assert_eq!(
        serde_json::to_string(&created).unwrap(),
        r#"{"id":"X","site":"s"}"#,
        "no details, no field: the answer of an agent without handlers is unchanged"
    );
    let mut details = Details::new();
    details.insert("path".into(), "/srv/x".into());
    let updated = ResourceUpdatedV1 {
        details,
        ..ResourceUpdatedV1 {
            id: "X".into(),
            site: "s".into(),
            details: Details::new(),
        }
    };
    assert_eq!(
        serde_json::to_value(&updated).unwrap(),
        serde_json::json!({"id":"X","site":"s","details":{"path":"/srv/x"}})
    );
    assert_eq!(ErrorV1::TYPE, "ErrorV1");
}
