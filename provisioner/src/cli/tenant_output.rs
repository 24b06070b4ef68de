//! `provisioner tenant`'s output: each endpoint's reply as a short table (`--json`
//! prints the reply itself instead). An invite's token is printed once, on creation.

use crate::display::format_time;
use crate::tenant_admin::wire::{
    AdminOp, InviteCreated, InviteRevoked, InvitesReply, IssuancesReply, QuotaReply, RevokeReply,
    UserStatus, UserView, UsersReply,
};

/// Prints the reply to `op` as a short table.
///
/// # Errors
/// When the reply is not what this version reads.
pub fn print_reply(op: AdminOp, payload: &[u8]) -> anyhow::Result<()> {
    let unreadable = || anyhow::anyhow!("the reply to `{op}` is not what this version reads");
    match op {
        AdminOp::UsersList | AdminOp::UsersShow => {
            let r: UsersReply = serde_json::from_slice(payload).map_err(|_| unreadable())?;
            println!("tenant {}: {} user(s)", r.tenant, r.users.len());
            for u in &r.users {
                println!("{}", user_line(u));
            }
            if let Some(cursor) = &r.next_cursor {
                println!("more users: run again with --cursor {cursor}");
            }
        }
        AdminOp::UsersRevoke => {
            let r: RevokeReply = serde_json::from_slice(payload).map_err(|_| unreadable())?;
            println!("revoked `{}` in tenant {}", r.name, r.tenant);
            for key in &r.public_keys {
                println!("  {key}");
            }
            println!("{}", r.note);
        }
        AdminOp::InvitesCreate => {
            let r: InviteCreated = serde_json::from_slice(payload).map_err(|_| unreadable())?;
            println!("invite {} for tenant {}", r.id, r.tenant);
            println!(
                "  names `{}`, {} use(s), expires {}",
                r.name_pattern,
                r.uses,
                format_time(r.expires)
            );
            println!("token (shown once): {}", r.token);
        }
        AdminOp::InvitesList => {
            let r: InvitesReply = serde_json::from_slice(payload).map_err(|_| unreadable())?;
            println!("tenant {}: {} invite(s)", r.tenant, r.invites.len());
            for i in &r.invites {
                let state = if i.revoked {
                    "revoked"
                } else if i.usable {
                    "usable"
                } else {
                    "spent"
                };
                println!(
                    "{}  `{}`  {}/{} left  expires {}  {state}",
                    i.id,
                    i.name_pattern,
                    i.uses_left,
                    i.uses,
                    format_time(i.expires)
                );
            }
        }
        AdminOp::InvitesRevoke => {
            let r: InviteRevoked = serde_json::from_slice(payload).map_err(|_| unreadable())?;
            println!("revoked invite {} in tenant {}", r.invite.id, r.tenant);
        }
        AdminOp::Issuances => {
            let r: IssuancesReply = serde_json::from_slice(payload).map_err(|_| unreadable())?;
            println!("tenant {}: {} issuance(s)", r.tenant, r.issuances.len());
            for i in &r.issuances {
                let via = i
                    .via
                    .as_deref()
                    .map(|v| format!(" via {v}"))
                    .unwrap_or_default();
                println!(
                    "{}  {}  {}  {}{via}  expires {}  [request {}]",
                    format_time(i.ts),
                    i.name,
                    i.user_public_key,
                    i.door,
                    format_time(i.expires),
                    i.request_id
                );
            }
            if let Some(cursor) = &r.next_cursor {
                println!("more issuances: run again with --cursor {cursor}");
            }
        }
        AdminOp::Quota => {
            let r: QuotaReply = serde_json::from_slice(payload).map_err(|_| unreadable())?;
            match r.limit {
                Some(limit) => println!("tenant {}: {} of {limit} active users", r.tenant, r.used),
                None => println!("tenant {}: {} active users, no limit", r.tenant, r.used),
            }
        }
    }
    Ok(())
}

fn user_line(u: &UserView) -> String {
    let state = match UserStatus::of(u) {
        UserStatus::Revoked => "revoked",
        UserStatus::Active => "active",
        UserStatus::Expired => "expired",
    };
    let exp = if u.exp == 0 {
        String::from("never")
    } else {
        format_time(u.exp)
    };
    let presence = match (u.connections, u.last_seen) {
        (0, Some(seen)) => format!("last seen {}", format_time(seen)),
        (0, None) => String::from("not seen"),
        (n, _) => format!("connected ({n})"),
    };
    format!(
        "{:<24} {}  expires {exp}  {state}  issued {}  {presence}",
        u.name, u.public_key, u.issued
    )
}
