//! Tenant and operator names: each is a directory name, an account name and a single
//! literal subject token.

use crate::error::EstateError;
use crate::topology::RESERVED_ACCOUNTS;

/// The longest tenant or operator name.
pub const MAX_NAME_LEN: usize = 64;

/// Checks a tenant or operator name: 1 to [`MAX_NAME_LEN`] letters, digits, `_` or `-`,
/// so that it is a directory name, an account name and a single literal subject token.
///
/// # Errors
/// [`EstateError::Name`].
pub fn check_name(what: &'static str, name: &str) -> Result<(), EstateError> {
    let refuse = |reason| {
        Err(EstateError::Name {
            what,
            name: name.to_owned(),
            reason,
        })
    };
    if name.is_empty() {
        return refuse("it is empty");
    }
    if name.chars().count() > MAX_NAME_LEN {
        return refuse("it is longer than 64 characters");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return refuse("only letters, digits, `_` and `-` are allowed");
    }
    Ok(())
}

/// Tenant names are names that are not one of the fixed accounts (in any case).
pub(super) fn check_tenant_name(name: &str) -> Result<(), EstateError> {
    check_name("tenant", name)?;
    if RESERVED_ACCOUNTS
        .iter()
        .any(|r| r.eq_ignore_ascii_case(name))
    {
        return Err(EstateError::DuplicateAccount {
            name: name.to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_be_single_safe_tokens() {
        assert!(check_name("tenant", "acme").is_ok());
        assert!(check_name("tenant", "a_b-9").is_ok());
        for bad in ["", "a.b", "a b", "a>", "*", "../x", "a/b", &"x".repeat(65)] {
            assert!(
                matches!(check_name("tenant", bad), Err(EstateError::Name { .. })),
                "{bad:?}"
            );
        }
    }
}
