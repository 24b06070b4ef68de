//! Rules for user names (`names.*`).

use serde::{Deserialize, Serialize};

/// The character set names may use when a tenant does not configure one.
pub const DEFAULT_NAME_CHARS: &str = "a-zA-Z0-9_-";
/// The shortest name allowed when a tenant does not configure `min_len`.
pub const DEFAULT_NAME_MIN_LEN: usize = 1;
/// The longest name allowed when a tenant does not configure `max_len`.
pub const DEFAULT_NAME_MAX_LEN: usize = 64;

/// Rules for user names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamesConfig {
    /// Allowed characters as ranges and single characters, like a regex class body.
    #[serde(default = "default_name_chars")]
    pub allowed_chars: String,
    /// Minimum length in characters.
    #[serde(default = "default_min_len")]
    pub min_len: usize,
    /// Maximum length in characters.
    #[serde(default = "default_max_len")]
    pub max_len: usize,
    /// Optional glob (`*` any run, `?` one character) a name must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Names nobody may take: globs (`*` any run, `?` one character) compared with the
    /// name ignoring case ([`crate::names::fold_case`]), whatever `case_sensitive` says.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reserved: Vec<String>,
    /// Whether names that differ only in case (`Alice`, `alice`) are different names.
    /// Default `false`: they are one name, held by one key and revoked together (the
    /// registry keys a name by its [`crate::names::fold_case`]).
    #[serde(default)]
    pub case_sensitive: bool,
    /// Whether a name belongs to one public key within the tenant. Default `true`.
    #[serde(default = "default_unique")]
    pub unique: bool,
    /// Whether a unique name held by one key may be issued to another key.
    #[serde(default)]
    pub reissue_to_other_key: bool,
}

impl Default for NamesConfig {
    fn default() -> Self {
        NamesConfig {
            allowed_chars: default_name_chars(),
            min_len: DEFAULT_NAME_MIN_LEN,
            max_len: DEFAULT_NAME_MAX_LEN,
            pattern: None,
            reserved: Vec::new(),
            case_sensitive: false,
            unique: true,
            reissue_to_other_key: false,
        }
    }
}

impl NamesConfig {
    /// The form of `name` the registry keys it by, so that names of one form are one
    /// name: folded ([`crate::names::fold_case`]) unless `case_sensitive`.
    ///
    /// # Examples
    /// ```
    /// let mut names = policy::schema::NamesConfig::default();
    /// assert_eq!(names.unique_form("Alice"), "alice");
    /// names.case_sensitive = true;
    /// assert_eq!(names.unique_form("Alice"), "Alice");
    /// ```
    pub fn unique_form(&self, name: &str) -> String {
        if self.case_sensitive {
            name.to_owned()
        } else {
            crate::names::fold_case(name)
        }
    }
}

fn default_name_chars() -> String {
    DEFAULT_NAME_CHARS.to_owned()
}

fn default_min_len() -> usize {
    DEFAULT_NAME_MIN_LEN
}

fn default_max_len() -> usize {
    DEFAULT_NAME_MAX_LEN
}

fn default_unique() -> bool {
    true
}
