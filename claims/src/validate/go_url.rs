//! The part of Go's `net/url.Parse` the claim rules depend on: whether a URL parses, and
//! its scheme, user info, host name and path, so that info URLs, the account server URL
//! and operator service URLs are accepted and refused exactly as Go does.
//!
//! Not a URL library: queries and fragments are only checked for bad escapes, nothing is
//! normalized, and the unescaped path is not kept (only whether it is empty).

/// What the rules need from a parsed URL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct GoUrl {
    /// Lowercased scheme; empty when there is none.
    pub scheme: String,
    /// Whether an `@` introduced user info (Go's `URL.User != nil`).
    pub has_user: bool,
    /// Go's `URL.Hostname()`: the host without port and brackets.
    pub hostname: String,
    /// Whether the (unescaped) path is non-empty.
    pub has_path: bool,
}

/// How a piece of the URL is unescaped, as Go's `encoding` modes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Host,
    Other,
}

/// Go's `url.Parse(raw)`; the error is Go's reason, without the `parse "…":` prefix.
pub(crate) fn parse(raw: &str) -> Result<GoUrl, String> {
    let (before_fragment, fragment) = raw.split_once('#').unwrap_or((raw, ""));
    let url = parse_without_fragment(before_fragment)?;
    unescape(fragment, Mode::Other)?;
    Ok(url)
}

fn parse_without_fragment(raw: &str) -> Result<GoUrl, String> {
    if raw.bytes().any(|b| b < b' ' || b == 0x7f) {
        return Err(String::from("net/url: invalid control character in URL"));
    }
    let mut url = GoUrl::default();
    if raw == "*" {
        url.has_path = true;
        return Ok(url);
    }
    let (scheme, rest) = split_scheme(raw)?;
    url.scheme = scheme.to_ascii_lowercase();
    let rest = match rest.strip_suffix('?') {
        Some(without) if !without.contains('?') => without,
        _ => rest.split_once('?').map_or(rest, |(before, _query)| before),
    };
    if !rest.starts_with('/') {
        if !url.scheme.is_empty() {
            // An opaque URL such as `mailto:x`: no host, user or path.
            return Ok(url);
        }
        let first_segment = rest.split_once('/').map_or(rest, |(segment, _)| segment);
        if first_segment.contains(':') {
            return Err(String::from(
                "first path segment in URL cannot contain colon",
            ));
        }
    }
    let mut path = rest;
    if (!url.scheme.is_empty() || !rest.starts_with("///")) && rest.starts_with("//") {
        let after = rest.get(2..).unwrap_or_default();
        let (authority, tail) = match after.find('/') {
            Some(i) => after.split_at(i),
            None => (after, ""),
        };
        path = tail;
        let (user, host) = match authority.rsplit_once('@') {
            Some((user, host)) => (Some(user), host),
            None => (None, authority),
        };
        let host = parse_host(host)?;
        if let Some(user) = user {
            if !valid_userinfo(user) {
                return Err(String::from("net/url: invalid userinfo"));
            }
            for part in user.splitn(2, ':') {
                unescape(part, Mode::Other)?;
            }
            url.has_user = true;
        }
        url.hostname = hostname(&host);
    }
    url.has_path = !unescape(path, Mode::Other)?.is_empty();
    Ok(url)
}

/// Go's `getScheme`.
fn split_scheme(raw: &str) -> Result<(&str, &str), String> {
    for (i, c) in raw.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i > 0 => {}
            b':' if i == 0 => return Err(String::from("missing protocol scheme")),
            b':' => {
                let (scheme, rest) = raw.split_at(i);
                return Ok((scheme, rest.get(1..).unwrap_or("")));
            }
            _ => return Ok(("", raw)),
        }
    }
    Ok(("", raw))
}

/// Go's `parseHost`: brackets for IPv6, a numeric port, valid characters and escapes.
fn parse_host(host: &str) -> Result<String, String> {
    let port_part = if host.starts_with('[') {
        let Some((_, after)) = host.rsplit_once(']') else {
            return Err(String::from("missing ']' in host"));
        };
        Some(after)
    } else {
        host.rfind(':').and_then(|i| host.get(i..))
    };
    if let Some(port) = port_part {
        if !valid_optional_port(port) {
            return Err(format!("invalid port {port:?} after host"));
        }
    }
    unescape(host, Mode::Host)
}

/// Go's `validOptionalPort`: empty, or `:` and digits.
fn valid_optional_port(port: &str) -> bool {
    port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|digits| digits.bytes().all(|b| b.is_ascii_digit()))
}

/// Go's `validUserinfo`.
fn valid_userinfo(user: &str) -> bool {
    user.chars()
        .all(|c| c.is_ascii_alphanumeric() || "-._:~!$&'()*+,;=%@".contains(c))
}

/// Go's `URL.Hostname`.
fn hostname(host: &str) -> String {
    let without_port = match host.rfind(':') {
        Some(i) if host.get(i..).is_some_and(valid_optional_port) => host.get(..i).unwrap_or(host),
        _ => host,
    };
    without_port
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(without_port)
        .to_owned()
}

/// Go's `unescape`: `%XX` must be hex; hosts allow only some characters and, besides
/// `%25`, only escapes of non-ASCII bytes.
fn unescape(text: &str, mode: Mode) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&c) = bytes.get(i) {
        if c == b'%' {
            let hex = |at: usize| bytes.get(at).and_then(|b| (*b as char).to_digit(16));
            let (Some(high), Some(low)) = (hex(i + 1), hex(i + 2)) else {
                let bad: String = text.get(i..).unwrap_or("").chars().take(3).collect();
                return Err(format!("invalid URL escape {bad:?}"));
            };
            if mode == Mode::Host && high < 8 && text.get(i..i + 3) != Some("%25") {
                let bad = text.get(i..i + 3).unwrap_or("");
                return Err(format!("invalid URL escape {bad:?}"));
            }
            out.push(u8::try_from(high * 16 + low).unwrap_or(0));
            i += 3;
            continue;
        }
        if mode == Mode::Host && c < 0x80 && !host_byte_allowed(c) {
            return Err(format!(
                "invalid character {:?} in host name",
                (c as char).to_string()
            ));
        }
        out.push(c);
        i += 1;
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// ASCII bytes Go's `shouldEscape(c, encodeHost)` leaves alone.
fn host_byte_allowed(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!$&'()*+,;=:[]<>\"-_.~".contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_as_in_go() {
        let u = parse("nats://u:p@host:4222").unwrap();
        assert_eq!(u.scheme, "nats");
        assert!(u.has_user);
        assert_eq!(u.hostname, "host");
        assert!(!u.has_path);

        let u = parse("NATS://UPPER:4222").unwrap();
        assert_eq!(u.scheme, "nats");
        assert!(!u.has_user && !u.has_path);

        assert!(parse("nats://host:4222/path").unwrap().has_path);
        assert!(parse("nats://host:4222/").unwrap().has_path);
        assert!(!parse("nats://host:4222?x=1#f").unwrap().has_path);

        let u = parse("example.com/docs").unwrap();
        assert_eq!(u.scheme, "");
        assert_eq!(u.hostname, "");

        let u = parse("https://[::1]:8080/x").unwrap();
        assert_eq!(u.hostname, "::1");

        let u = parse("mailto:someone").unwrap();
        assert_eq!(u.scheme, "mailto");
        assert!(!u.has_path && u.hostname.is_empty());

        assert_eq!(parse("").unwrap(), GoUrl::default());
    }

    #[test]
    fn bad_urls_are_refused_as_in_go() {
        assert_eq!(parse("://bad").unwrap_err(), "missing protocol scheme");
        assert_eq!(
            parse("a:b/c").map(|u| u.scheme).unwrap(),
            "a",
            "a scheme makes the rest opaque"
        );
        assert_eq!(
            parse("1a:b").unwrap_err(),
            "first path segment in URL cannot contain colon"
        );
        assert_eq!(
            parse("nats://host:x").unwrap_err(),
            "invalid port \":x\" after host"
        );
        assert_eq!(parse("nats://[::1").unwrap_err(), "missing ']' in host");
        assert_eq!(
            parse("http://a b/").unwrap_err(),
            "invalid character \" \" in host name"
        );
        assert_eq!(
            parse("http://h/%zz").unwrap_err(),
            "invalid URL escape \"%zz\""
        );
        assert_eq!(
            parse("http://h%41/").unwrap_err(),
            "invalid URL escape \"%41\""
        );
        assert_eq!(
            parse("http://a\"b@h/").unwrap_err(),
            "net/url: invalid userinfo"
        );
        assert!(parse("http://h/\u{7f}").is_err());
        assert!(parse("http://h/#%").is_err());
    }
}
