//! `--service NAME:SITE[,SITE…]`: the provisioning services of an isolated estate and the
//! names and tags of their identities in SERVICES. One agent user per service and site,
//! `agent-<service>-<site>`, and one service admin per service, `admin-<service>`; what
//! each may do is in [`permissions`].
//!
//! Names are checked with the agent's own rules ([`agent::subjects`]), so that every name
//! the estate accepts is one the agent accepts, and the other way round.

pub mod permissions;

use agent::subjects::{check_service, check_token, NameError};

use crate::error::EstateError;

/// The token of a service's admin subtree, `svc.<service>.admin.>`. No site may take this
/// name: the site's subjects (`svc.<service>.<site>.>`, exported to tenants) would be the
/// admin subtree.
pub const ADMIN_TOKEN: &str = "admin";
/// The prefix of an agent user's name, `agent-<service>-<site>`.
pub const AGENT_USER_PREFIX: &str = "agent-";
/// The prefix of a service admin's name, `admin-<service>`.
pub const ADMIN_USER_PREFIX: &str = "admin-";
/// The tag naming an identity's service, `service:<name>`.
pub const SERVICE_TAG_PREFIX: &str = "service:";
/// The tag naming an agent's site, `site:<name>`.
pub const SITE_TAG_PREFIX: &str = "site:";
/// The tag of a per-service agent user.
pub const AGENT_ROLE_TAG: &str = "role:service-agent";
/// The tag of a service admin (not a tenant's `role:admin`).
pub const ADMIN_ROLE_TAG: &str = "role:service-admin";

/// One provisioning service and the sites that run its agents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSpec {
    /// The service name (1–64 of `A-Za-z0-9-`).
    pub name: String,
    /// Its sites (each 1–64 of `A-Za-z0-9_-`, not `admin`), at least one.
    pub sites: Vec<String>,
}

impl ServiceSpec {
    /// Parses and checks `NAME:SITE[,SITE…]`.
    ///
    /// # Errors
    /// [`EstateError::Name`] for a bad shape, service or site name.
    pub fn parse(text: &str) -> Result<ServiceSpec, EstateError> {
        let (name, sites) = text.split_once(':').ok_or_else(|| EstateError::Name {
            what: "service",
            name: text.to_owned(),
            reason: "expected NAME:SITE[,SITE…]",
        })?;
        let spec = ServiceSpec {
            name: name.to_owned(),
            sites: sites.split(',').map(str::to_owned).collect(),
        };
        spec.check()?;
        Ok(spec)
    }

    /// Checks the names: the agent's rules, no site `admin`, no site twice.
    ///
    /// # Errors
    /// [`EstateError::Name`].
    pub fn check(&self) -> Result<(), EstateError> {
        check_service(&self.name).map_err(name_error)?;
        if self.sites.is_empty() {
            return Err(EstateError::Name {
                what: "service",
                name: self.name.clone(),
                reason: "it names no site",
            });
        }
        for (i, site) in self.sites.iter().enumerate() {
            check_token("site", site).map_err(name_error)?;
            let refuse = |reason| EstateError::Name {
                what: "site",
                name: site.clone(),
                reason,
            };
            if site == ADMIN_TOKEN {
                return Err(refuse("`admin` is the service admin's subtree"));
            }
            if self.sites.iter().take(i).any(|s| s == site) {
                return Err(refuse("it is given twice"));
            }
        }
        Ok(())
    }
}

fn name_error(err: NameError) -> EstateError {
    EstateError::Name {
        what: err.what,
        name: err.name,
        reason: err.reason,
    }
}

/// The agent user of `service` at `site`, `agent-<service>-<site>`.
pub fn agent_user(service: &str, site: &str) -> String {
    format!("{AGENT_USER_PREFIX}{service}-{site}")
}

/// The service admin of `service`, `admin-<service>`.
pub fn admin_user(service: &str) -> String {
    format!("{ADMIN_USER_PREFIX}{service}")
}

/// Checks a whole `--service` list: each one ([`ServiceSpec::check`]), no service twice,
/// and no two identities with one name (`a-b:c` and `a:b-c` would both be `agent-a-b-c`).
///
/// # Errors
/// [`EstateError::Name`], [`EstateError::Options`].
pub fn check_services(services: &[ServiceSpec]) -> Result<(), EstateError> {
    let mut users: Vec<(String, String)> = Vec::new();
    for (i, service) in services.iter().enumerate() {
        service.check()?;
        if services.iter().take(i).any(|s| s.name == service.name) {
            return Err(EstateError::Name {
                what: "service",
                name: service.name.clone(),
                reason: "it is given twice",
            });
        }
        for site in &service.sites {
            let user = agent_user(&service.name, site);
            let given = format!("{}:{site}", service.name);
            if let Some((_, other)) = users.iter().find(|(u, _)| *u == user) {
                return Err(EstateError::Options {
                    reason: format!(
                        "services `{other}` and `{given}` would both have the agent user `{user}`"
                    ),
                });
            }
            users.push((user, given));
        }
    }
    Ok(())
}

/// A service identity found in an estate by its tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The user name.
    pub user: String,
    /// Its service.
    pub service: String,
    /// Its site, for an agent; `None` for a service admin.
    pub site: Option<String>,
}

/// The service identities among `users` (those tagged with a service role), in order.
pub fn identities<'a>(users: impl IntoIterator<Item = (&'a str, &'a [String])>) -> Vec<Identity> {
    let tag = |tags: &[String], prefix: &str| {
        tags.iter()
            .find_map(|t| t.strip_prefix(prefix))
            .map(str::to_owned)
    };
    users
        .into_iter()
        .filter_map(|(user, tags)| {
            let agent = tags.iter().any(|t| t == AGENT_ROLE_TAG);
            let admin = tags.iter().any(|t| t == ADMIN_ROLE_TAG);
            if !agent && !admin {
                return None;
            }
            Some(Identity {
                user: user.to_owned(),
                service: tag(tags, SERVICE_TAG_PREFIX)?,
                site: if agent {
                    Some(tag(tags, SITE_TAG_PREFIX)?)
                } else {
                    None
                },
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> ServiceSpec {
        ServiceSpec::parse(text).unwrap()
    }

    #[test]
    fn parses_a_service_and_its_sites() {
        let storage = spec("storage:sto1,osl_1");
        assert_eq!(storage.name, "storage");
        assert_eq!(storage.sites, ["sto1", "osl_1"]);
        assert_eq!(agent_user("storage", "sto1"), "agent-storage-sto1");
        assert_eq!(admin_user("block-storage"), "admin-block-storage");
    }

    #[test]
    fn refuses_what_the_agent_refuses_and_the_admin_site() {
        for bad in [
            "storage",
            ":sto1",
            "storage:",
            "sto_rage:sto1",
            "storage:sto.1",
            "storage:sto1,",
            "storage:*",
            "storage:admin",
            "storage:sto1,sto1",
            "st.orage:sto1",
        ] {
            assert!(
                matches!(ServiceSpec::parse(bad), Err(EstateError::Name { .. })),
                "{bad:?}"
            );
        }
        let err = ServiceSpec::parse("storage:admin").unwrap_err();
        assert!(err.to_string().contains("admin"), "{err}");
        let long = format!("{}:sto1", "s".repeat(65));
        assert!(ServiceSpec::parse(&long).is_err());
        assert!(ServiceSpec::parse(&format!("{}:sto1", "s".repeat(64))).is_ok());
    }

    #[test]
    fn refuses_a_service_twice_and_colliding_user_names() {
        let twice = [spec("storage:sto1"), spec("storage:osl1")];
        assert!(matches!(
            check_services(&twice),
            Err(EstateError::Name { .. })
        ));
        let colliding = [spec("a-b:c"), spec("a:b-c")];
        let err = check_services(&colliding).unwrap_err();
        assert!(matches!(err, EstateError::Options { .. }));
        assert!(err.to_string().contains("agent-a-b-c"), "{err}");
        assert!(check_services(&[spec("storage:sto1,osl1"), spec("compute:sto1")]).is_ok());
        assert!(check_services(&[]).is_ok());
    }

    #[test]
    fn finds_identities_by_their_tags() {
        let tags = |t: &[&str]| t.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let agent = tags(&[AGENT_ROLE_TAG, "service:storage", "site:sto1"]);
        let admin = tags(&[ADMIN_ROLE_TAG, "service:storage"]);
        let other = tags(&["service:storage"]);
        let broken = tags(&[AGENT_ROLE_TAG, "service:storage"]);
        let found = identities([
            ("agent-storage-sto1", agent.as_slice()),
            ("admin-storage", admin.as_slice()),
            ("agent", other.as_slice()),
            ("x", broken.as_slice()),
        ]);
        assert_eq!(
            found,
            [
                Identity {
                    user: "agent-storage-sto1".into(),
                    service: "storage".into(),
                    site: Some("sto1".into()),
                },
                Identity {
                    user: "admin-storage".into(),
                    service: "storage".into(),
                    site: None,
                },
            ]
        );
    }
}
