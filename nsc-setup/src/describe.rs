//! The estate as readable tables, like `nsc describe`: the operator, then accounts,
//! signing keys (with scopes), exports, imports and users. Pure: an [`Estate`] in, text out.

use std::fmt::Write as _;

use claims::{Export, ExportType, Permission};

use crate::estate::{AccountEntry, Estate};

/// A text table: a title, column headers and rows, columns padded to their widest cell.
#[derive(Debug, Clone, Default)]
struct Table {
    title: &'static str,
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn new(title: &'static str, headers: &[&'static str]) -> Self {
        Table {
            title,
            headers: headers.to_vec(),
            rows: Vec::new(),
        }
    }

    fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    fn render(&self, out: &mut String) {
        let _ = writeln!(out, "{}", self.title);
        if self.rows.is_empty() {
            out.push_str("  (none)\n\n");
            return;
        }
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let headers: Vec<String> = self.headers.iter().map(|h| (*h).to_owned()).collect();
        for row in std::iter::once(&headers).chain(&self.rows) {
            let mut line = String::from(" ");
            for (width, cell) in widths.iter().zip(row) {
                let _ = write!(line, " {cell:<width$} ");
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
        out.push('\n');
    }
}

/// The estate as text tables.
pub fn describe(estate: &Estate) -> String {
    let mut out = String::new();
    let op = &estate.operator;
    let _ = writeln!(out, "Operator {}", op.name);
    let _ = writeln!(out, "  public key      {}", op.public_key());
    for key in &op.claims.nats.signing_keys {
        let _ = writeln!(out, "  signing key     {key}");
    }
    let system = estate
        .system_account()
        .map_or_else(|| op.claims.nats.system_account.clone(), |a| a.name.clone());
    let _ = writeln!(out, "  system account  {system}\n");

    let mut accounts = Table::new(
        "Accounts",
        &[
            "NAME",
            "PUBLIC KEY",
            "SIGNED BY",
            "TAGS",
            "JETSTREAM",
            "REVOCATIONS",
        ],
    );
    let mut keys = Table::new("Signing keys", &["ACCOUNT", "KEY", "SCOPE", "PUB", "SUB"]);
    let mut exports = Table::new("Exports", &["ACCOUNT", "TYPE", "SUBJECT", "NAME", "ACCESS"]);
    let mut imports = Table::new(
        "Imports",
        &[
            "ACCOUNT",
            "TYPE",
            "SUBJECT",
            "FROM",
            "LOCAL SUBJECT",
            "SHARE",
        ],
    );
    let mut users = Table::new(
        "Users",
        &[
            "ACCOUNT",
            "USER",
            "PUBLIC KEY",
            "SIGNED BY",
            "TAGS",
            "PUB",
            "SUB",
            "RESP",
        ],
    );
    for account in &estate.accounts {
        let claims = &account.claims;
        accounts.row(vec![
            account.name.clone(),
            account.public_key().to_owned(),
            signer_name(estate, &claims.iss),
            list(&claims.nats.tags),
            yes_no(claims.nats.limits.is_jetstream_enabled()),
            claims.nats.revocations.len().to_string(),
        ]);
        for (key, scope) in &claims.nats.signing_keys.0 {
            let (kind, publish, subscribe) = match scope {
                Some(s) => (
                    format!("scoped (role {})", dash(&s.role)),
                    allow(&s.template.publish),
                    allow(&s.template.subscribe),
                ),
                None => (String::from("plain"), String::from("-"), String::from("-")),
            };
            keys.row(vec![
                account.name.clone(),
                key.clone(),
                kind,
                publish,
                subscribe,
            ]);
        }
        for export in &claims.nats.exports {
            exports.row(vec![
                account.name.clone(),
                kind(export.export_type),
                export.subject.clone(),
                dash(&export.name),
                access(export),
            ]);
        }
        for import in &claims.nats.imports {
            let from = estate
                .account_by_key(&import.account)
                .map_or_else(|| import.account.clone(), |a| a.name.clone());
            imports.row(vec![
                account.name.clone(),
                kind(import.import_type),
                import.subject.clone(),
                from,
                dash(&import.local_subject),
                yes_no(import.share),
            ]);
        }
        for user in &account.users {
            let p = &user.claims.nats.permissions;
            users.row(vec![
                account.name.clone(),
                user.name.clone(),
                user.public_key().to_owned(),
                user_signer(account, &user.claims.iss),
                list(&user.claims.nats.tags),
                allow(&p.publish),
                allow(&p.subscribe),
                p.resp
                    .as_ref()
                    .map_or_else(|| String::from("-"), |r| format!("max {}", r.max)),
            ]);
        }
    }
    for table in [accounts, keys, exports, imports, users] {
        table.render(&mut out);
    }
    out
}

/// How an account's issuer relates to the operator.
fn signer_name(estate: &Estate, issuer: &str) -> String {
    let op = &estate.operator;
    if issuer == op.public_key() {
        String::from("operator")
    } else if op.claims.nats.signing_keys.iter().any(|k| k == issuer) {
        String::from("operator signing key")
    } else {
        format!("unknown {issuer}")
    }
}

/// How a user's issuer relates to its account.
fn user_signer(account: &AccountEntry, issuer: &str) -> String {
    if issuer == account.public_key() {
        String::from("account")
    } else if account.is_scoped(issuer) {
        String::from("scoped signing key")
    } else if account.claims.nats.signing_keys.contains(issuer) {
        String::from("signing key")
    } else {
        format!("unknown {issuer}")
    }
}

/// Who may import an export: anyone (`public`) or holders of an activation (`token`);
/// with an account token, each importer only its own account's key in that token.
fn access(export: &Export) -> String {
    let mut text = String::from(if export.token_req { "token" } else { "public" });
    if export.account_token_position > 0 {
        let _ = write!(
            text,
            ", importer's account in token {}",
            export.account_token_position
        );
    }
    text
}

fn kind(kind: Option<ExportType>) -> String {
    kind.map_or("-", ExportType::as_str).to_owned()
}

fn allow(permission: &Permission) -> String {
    let mut text = list(&permission.allow);
    if !permission.deny.is_empty() {
        let _ = write!(text, " (deny {})", permission.deny.join(", "));
    }
    text
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        String::from("-")
    } else {
        items.join(", ")
    }
}

fn dash(text: &str) -> String {
    if text.is_empty() {
        String::from("-")
    } else {
        text.to_owned()
    }
}

fn yes_no(value: bool) -> String {
    String::from(if value { "yes" } else { "no" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estate::{EstateSpec, TenantSpec};
    use crate::keys::SequentialKeys;

    #[test]
    fn describes_every_part_of_the_estate() {
        let spec = EstateSpec {
            operator: "OP".into(),
            tenants: vec![TenantSpec {
                name: "acme".into(),
                scoped: true,
            }],
            jetstream: true,
        };
        let estate = Estate::build(&spec, &mut SequentialKeys::new(12), 1_800_000_000).unwrap();
        let text = describe(&estate);
        assert!(text.starts_with("Operator OP\n"), "{text}");
        assert!(text.contains("system account  SYS\n"));
        for part in [
            "Accounts\n",
            "Signing keys\n",
            "Exports\n",
            "Imports\n",
            "Users\n",
            "scoped (role user)",
            "tenant.acme.{{name()}}.>, svc.>, svcq.>",
            "queued provisioning requests",
            "public, importer's account in token 2",
            "credential requests",
            "operator signing key",
            "tenant:acme",
            "role:admin",
        ] {
            assert!(text.contains(part), "missing {part:?} in\n{text}");
        }
        let import = text
            .lines()
            .find(|l| l.contains("creds.request") && l.contains("AUTH") && l.contains("acme"))
            .unwrap();
        assert!(import.trim_end().ends_with("yes"), "{import}");
        let acme = estate.account("acme").unwrap().public_key();
        let queued = text
            .lines()
            .find(|l| l.contains(&format!("svcq.{acme}.>")))
            .unwrap();
        assert!(queued.contains(" SERVICES "), "{queued}");
        assert!(queued.contains(" svcq.> "), "{queued}");
        let mut empty = Table::new("Nothing", &["A"]);
        let mut out = String::new();
        empty.render(&mut out);
        assert_eq!(out, "Nothing\n  (none)\n\n");
        empty.row(vec!["x".into()]);
    }
}
