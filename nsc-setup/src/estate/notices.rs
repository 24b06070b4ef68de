//! Renew-now notices: AUTH exports the stream [`t::NOTICE_SUBJECT`]
//! (`creds.renew.<account>.<name>`, the account key in the third token), and each tenant
//! imports its own account's notices into its users' private inboxes
//! (`_INBOX.<name>.renew-now`). A user may subscribe only to `_INBOX.<its name>.>`, so it
//! hears its own notices and nobody else's; no tenant can import another's.

use claims::{Export, ExportType, Import};

use crate::topology as t;

/// AUTH's stream export of renew-now notices.
pub(super) fn notice_export() -> Export {
    Export {
        name: t::NOTICE_EXPORT_NAME.to_owned(),
        subject: t::NOTICE_SUBJECT.to_owned(),
        export_type: Some(ExportType::Stream),
        account_token_position: t::NOTICE_ACCOUNT_TOKEN,
        ..Export::default()
    }
}

/// Tenant `importer`'s import of its own notices from AUTH (`auth`): the name token
/// becomes the inbox token.
pub(super) fn notice_import(auth: &str, importer: &str) -> Import {
    Import {
        name: t::NOTICE_EXPORT_NAME.to_owned(),
        subject: format!("creds.renew.{importer}.*"),
        account: auth.to_owned(),
        local_subject: t::NOTICE_LOCAL_SUBJECT.to_owned(),
        import_type: Some(ExportType::Stream),
        ..Import::default()
    }
}

#[cfg(test)]
mod tests {
    use claims::{AccountClaims, Validate};

    use super::*;

    #[test]
    fn the_export_and_a_tenants_import_pass_validation() {
        let auth = nkeys::KeyPair::new_account().public_key();
        let acme = nkeys::KeyPair::new_account().public_key();
        let mut exporter = AccountClaims::new_account(auth.clone());
        exporter.nats.exports = vec![notice_export()];
        let report = exporter.validate(1_800_000_000);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        let mut importer = AccountClaims::new_account(acme.clone());
        importer.nats.imports = vec![notice_import(&auth, &acme)];
        let report = importer.validate(1_800_000_000);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(
            importer.nats.imports[0].subject,
            format!("creds.renew.{acme}.*")
        );
        assert_eq!(
            importer.nats.imports[0].local_subject,
            "_INBOX.$1.renew-now"
        );
    }
}
