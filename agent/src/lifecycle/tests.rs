use super::*;

const DEADLINE: i64 = 60;

fn run(events: &[Event]) -> Result<Lifecycle, NotNow> {
    let mut life = Lifecycle::accepted(100, DEADLINE);
    for (i, event) in events.iter().enumerate() {
        life = life.after(event, 101 + i as i64, DEADLINE)?;
    }
    Ok(life)
}

#[test]
fn the_plain_path_creates_updates_and_deletes() {
    let life = run(&[
        Event::Succeeded,
        Event::Update,
        Event::Succeeded,
        Event::Delete,
        Event::Succeeded,
    ])
    .unwrap();
    assert_eq!(life.status, Status::Deleted);
    let states: Vec<Status> = life.history.iter().map(|m| m.to).collect();
    use Status as S;
    assert_eq!(
        states,
        [S::Created, S::Updating, S::Created, S::Deleting, S::Deleted]
    );
    assert!(life.deadline.is_none() && life.error.is_none());
    assert!(run(&[
        Event::Succeeded,
        Event::Delete,
        Event::Succeeded,
        Event::Update
    ])
    .is_err());
}

#[test]
fn approval_waits_then_runs_or_ends_denied_with_the_reason() {
    let approved = run(&[Event::NeedsApproval, Event::Approved, Event::Succeeded]).unwrap();
    assert_eq!(approved.status, Status::Created);
    let denied = run(&[Event::NeedsApproval, Event::Denied("no budget".into())]).unwrap();
    assert_eq!(denied.status, Status::Denied);
    assert_eq!(denied.error.as_deref(), Some("no budget"));
    assert_eq!(
        denied.history.last().unwrap().note.as_deref(),
        Some("no budget")
    );
    // Approval is a service admin's move on a waiting resource only.
    assert_eq!(
        run(&[Event::Approved]).unwrap_err(),
        NotNow {
            from: Status::Pending,
            event: "approved"
        }
    );
    assert!(run(&[
        Event::NeedsApproval,
        Event::Denied("x".into()),
        Event::Approved
    ])
    .is_err());
}

#[test]
fn failures_and_missed_deadlines_end_in_error_which_can_be_retried_or_deleted() {
    let failed = run(&[Event::Failed("disk full".into())]).unwrap();
    assert_eq!(
        (failed.status, failed.error.as_deref()),
        (Status::Error, Some("disk full"))
    );
    assert!(failed.deadline.is_none());
    let retried = failed.after(&Event::Retry, 200, DEADLINE).unwrap();
    assert_eq!(
        (retried.status, retried.error.as_deref()),
        (Status::Pending, None)
    );
    assert_eq!(retried.deadline, Some(200 + DEADLINE));
    assert_eq!(
        failed.after(&Event::Delete, 200, DEADLINE).unwrap().status,
        Status::Deleting
    );
    let late = run(&[Event::DeadlinePassed]).unwrap();
    assert_eq!(late.status, Status::Error);
    assert!(late.error.unwrap().contains("deadline"));
}

#[test]
fn only_work_in_flight_can_be_overdue() {
    let fresh = Lifecycle::accepted(100, DEADLINE);
    assert!(!fresh.overdue(100 + DEADLINE));
    assert!(fresh.overdue(101 + DEADLINE));
    let waiting = fresh.after(&Event::NeedsApproval, 101, DEADLINE).unwrap();
    assert!(!waiting.overdue(i64::MAX), "an admin may take their time");
    let done = fresh.after(&Event::Succeeded, 101, DEADLINE).unwrap();
    assert!(!done.overdue(i64::MAX));
}

#[test]
fn final_states_take_no_event_and_history_is_bounded() {
    for event in [
        Event::Succeeded,
        Event::Update,
        Event::Delete,
        Event::Retry,
        Event::Approved,
    ] {
        assert!(next(Status::Deleted, &event).is_err());
        assert!(next(Status::Denied, &event).is_err());
    }
    let mut life = Lifecycle::accepted(0, DEADLINE)
        .after(&Event::Succeeded, 1, DEADLINE)
        .unwrap();
    for i in 0..MAX_HISTORY as i64 {
        life = life.after(&Event::Update, 2 + 2 * i, DEADLINE).unwrap();
        life = life.after(&Event::Succeeded, 3 + 2 * i, DEADLINE).unwrap();
    }
    assert_eq!(life.history.len(), MAX_HISTORY);
    assert_eq!(
        life.history[0].from,
        Status::Pending,
        "how it began is kept"
    );
}

#[test]
fn statuses_are_named_as_the_json_names_them() {
    for status in Status::ALL {
        let json = serde_json::to_value(status).unwrap();
        assert_eq!(json.as_str(), Some(status.name()));
        assert_eq!(Status::from_name(status.name()), Some(status));
    }
    assert_eq!(Status::from_name("Created"), None);
    let not_now = next(Status::PendingApproval, &Event::Update).unwrap_err();
    assert_eq!(
        not_now.to_string(),
        "a resource that is pending_approval cannot take update"
    );
}

#[test]
fn records_read_back_as_written() {
    let life = run(&[Event::Failed("boom".into())]).unwrap();
    let json = serde_json::to_value(&life).unwrap();
    assert_eq!(json["status"], "error");
    assert_eq!(json["history"][0]["to"], "error");
    assert_eq!(serde_json::from_value::<Lifecycle>(json).unwrap(), life);
}

#[test]
fn a_retry_returns_to_what_failed_and_counts() {
    let allocation = run(&[Event::Failed("quota".into()), Event::Retry]).unwrap();
    assert_eq!(
        (allocation.status, allocation.retries),
        (Status::Pending, 1)
    );
    assert_eq!(allocation.history.last().unwrap().event, "retry");
    let update = run(&[
        Event::Succeeded,
        Event::Update,
        Event::Failed("disk".into()),
        Event::Retry,
    ])
    .unwrap();
    assert_eq!(update.status, Status::Updating);
    assert_eq!(
        update.deadline,
        Some(104 + DEADLINE),
        "in flight again, due anew"
    );
    let deletion = run(&[
        Event::Succeeded,
        Event::Delete,
        Event::DeadlinePassed,
        Event::Retry,
    ])
    .unwrap();
    assert_eq!(deletion.status, Status::Deleting);
    // Failing again and retrying again counts on.
    let twice = allocation
        .after(&Event::DeadlinePassed, 300, DEADLINE)
        .and_then(|l| l.after(&Event::Retry, 301, DEADLINE))
        .unwrap();
    assert_eq!((twice.status, twice.retries), (Status::Pending, 2));
    assert!(twice.error.is_none());
}

#[test]
fn only_a_resource_in_error_can_be_retried_and_once_at_a_time() {
    for events in [
        vec![],
        vec![Event::Succeeded],
        vec![Event::NeedsApproval],
        vec![Event::NeedsApproval, Event::Denied("no".into())],
        vec![Event::Succeeded, Event::Delete, Event::Succeeded],
    ] {
        let life = run(&events).unwrap();
        assert_eq!(
            life.after(&Event::Retry, 500, DEADLINE).unwrap_err(),
            NotNow {
                from: life.status,
                event: "retry"
            }
        );
    }
    // Two retries racing on one record: the second finds it pending, not in error.
    let retried = run(&[Event::Failed("x".into()), Event::Retry]).unwrap();
    assert!(retried.after(&Event::Retry, 500, DEADLINE).is_err());
    assert_eq!(next(Status::Error, &Event::Retry), Ok(Status::Pending));
}

#[test]
fn an_approval_is_remembered_across_retries() {
    let approved = run(&[
        Event::NeedsApproval,
        Event::Approved,
        Event::Failed("x".into()),
        Event::Retry,
    ])
    .unwrap();
    assert!(approved.was_approved());
    let never = run(&[Event::DeadlinePassed, Event::Retry]).unwrap();
    assert!(!never.was_approved());
    let json = serde_json::to_value(&approved).unwrap();
    assert_eq!(json["retries"], 1);
    let fresh = serde_json::to_value(Lifecycle::accepted(0, 1)).unwrap();
    assert!(fresh.get("retries").is_none(), "{fresh}");
}
