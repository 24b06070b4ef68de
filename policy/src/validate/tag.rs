//! Load-time checks of a tenant's tags (`tags.*`): stamped tag templates and requestable
//! globs follow the tag rules ([`crate::tags`]), their values stay literal subject
//! tokens, and neither can produce a tag that grants power in the tenant (its admin tag,
//! a required caller tag or a grant's tag): a request would otherwise make its own user
//! an admin or an enroller, or entitle it to what a grant adds.

use super::permissions::tag_placeholders;
use super::problems::Problems;
use crate::error::PolicyError;
use crate::names::{glob_match, Charset};
use crate::path::Path;
use crate::schema::TenantConfig;
use crate::subject::SEPARATOR;
use crate::tags::{check_tag, check_user_tag, Privilege};
use crate::template::{Placeholder, SlotValue, TextTemplate, Values};

/// Stamped tag templates and requestable tag globs; `None` on problems. `charset` is the
/// tenant's name character set, when valid.
pub(super) fn tags(
    config: &TenantConfig,
    charset: Option<&Charset>,
    at: &Path,
    problems: &mut Problems,
) -> Option<Vec<TextTemplate>> {
    let before = problems.count();
    // A grant's tag is a power too; an invalid one is reported with the grant.
    let grant_tags = config
        .grants
        .iter()
        .filter(|g| check_user_tag(&g.tag).is_ok())
        .map(|g| (g.tag.as_str(), Privilege::Grant));
    let privileged: Vec<(&str, Privilege)> = config
        .identity
        .privileged_tags()
        .chain(grant_tags)
        .collect();
    let in_charset = |c: char| charset.map_or_else(|| is_tag_char(c), |set| set.contains(c));
    let slot = |ph: &Placeholder| match ph {
        Placeholder::Tenant => SlotValue::Fixed(&config.name),
        Placeholder::Account => SlotValue::Fixed(&config.account),
        Placeholder::Name => SlotValue::AnyOf(&in_charset),
        Placeholder::PublicKey => SlotValue::AnyOf(&is_base32),
        Placeholder::Tag(_) => SlotValue::AnyOf(&is_tag_char),
    };
    let mut stamp = Vec::new();
    for (i, text) in config.tags.stamp.iter().enumerate() {
        let at = at.key("stamp").index(i);
        let template = match TextTemplate::parse(text) {
            Ok(template) => template,
            Err(reason) => {
                let template = text.clone();
                problems.push(at, PolicyError::Template { template, reason });
                continue;
            }
        };
        tag_placeholders(
            template.placeholders(),
            config.identity.import.enabled,
            &at,
            problems,
        );
        let shape = check_tag(text).and_then(|()| match sample(config, &template) {
            Some(expanded) => check_user_tag(&expanded),
            None => Ok(()),
        });
        if let Err(err) = shape {
            let tag = text.clone();
            let reason = err.reason();
            problems.push(at.clone(), PolicyError::Tag { tag, reason });
        }
        for (target, privilege) in &privileged {
            if template.can_produce(target, &slot) {
                let (written, tag) = (text.clone(), (*target).to_owned());
                let privilege = privilege.describe();
                let error = PolicyError::PrivilegedTag {
                    written,
                    tag,
                    privilege,
                };
                problems.push(at.clone(), error);
            }
        }
        stamp.push(template);
    }
    for (i, glob) in config.tags.requestable.iter().enumerate() {
        let at = at.key("requestable").index(i);
        if let Err(err) = check_tag(glob) {
            let tag = glob.clone();
            let reason = err.reason();
            problems.push(at.clone(), PolicyError::Tag { tag, reason });
        } else if let Some(reason) = unsafe_glob_value(glob) {
            let tag = glob.clone();
            problems.push(at.clone(), PolicyError::Tag { tag, reason });
        }
        let lower = glob.to_ascii_lowercase();
        for (target, privilege) in &privileged {
            if glob_match(&lower, &target.to_ascii_lowercase()) {
                let (written, tag) = (glob.clone(), (*target).to_owned());
                let privilege = privilege.describe();
                let error = PolicyError::PrivilegedTag {
                    written,
                    tag,
                    privilege,
                };
                problems.push(at.clone(), error);
            }
        }
    }
    (problems.count() == before).then_some(stamp)
}

/// `template` expanded with a plain value for every placeholder (`x` for the name and
/// caller tags), to try its shape at load; `None` when it does not expand.
fn sample(config: &TenantConfig, template: &TextTemplate) -> Option<String> {
    let caller_tags: Vec<String> = template
        .placeholders()
        .filter_map(|ph| match ph {
            Placeholder::Tag(key) => Some(format!("{key}:x")),
            _ => None,
        })
        .collect();
    let values = Values {
        name: "x",
        tenant: &config.name,
        public_key: "U",
        account: &config.account,
        caller_tags: &caller_tags,
    };
    template.expand(&values).ok()
}

fn is_base32(c: char) -> bool {
    c.is_ascii_uppercase() || ('2'..='7').contains(&c)
}

fn is_tag_char(c: char) -> bool {
    !(c.is_whitespace() || c.is_control())
}

/// Why every tag `glob` matches would have an unsafe value: the text after its first `:`
/// holds `.` or `>` (a `*` or `?` there is the glob's own, checked per request).
fn unsafe_glob_value(glob: &str) -> Option<&'static str> {
    let (_, value) = glob.split_once(':')?;
    value
        .contains([SEPARATOR, '>'])
        .then_some(if value.contains(SEPARATOR) {
            "the value after `:` holds `.`; a signing key template `{{tag(…)}}` would turn it into several subject tokens"
        } else {
            "the value after `:` holds `>`; a signing key template `{{tag(…)}}` would turn it into a wildcard"
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_values_with_separators_or_full_wildcards_are_unsafe() {
        assert_eq!(unsafe_glob_value("team:*"), None);
        assert_eq!(unsafe_glob_value("team:?"), None);
        assert_eq!(unsafe_glob_value("team*"), None);
        assert!(unsafe_glob_value("team:a.*").is_some());
        assert!(unsafe_glob_value("team:>").is_some());
    }
}
