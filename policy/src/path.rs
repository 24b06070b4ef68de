//! Places in a policy: schema paths (`tenants[1].permissions.pub.allow[0]`) and text
//! locations (line and column), so every problem can say where it is.

use std::fmt;

/// One step of a [`Path`]: a table key or an array index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    /// A key in a table.
    Key(String),
    /// An index in an array (0-based).
    Index(usize),
}

/// A place in the policy file, shown as `tenants[1].permissions.pub.allow[0]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Path(Vec<Segment>);

impl Path {
    /// The whole file.
    pub fn root() -> Self {
        Path(Vec::new())
    }

    /// This path followed by table key `key`.
    pub fn key(&self, key: &str) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Key(key.to_owned()));
        Path(segments)
    }

    /// This path followed by array index `index`.
    pub fn index(&self, index: usize) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Index(index));
        Path(segments)
    }

    /// The segments, outermost first.
    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// Whether this is the whole file.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<Segment>> for Path {
    fn from(segments: Vec<Segment>) -> Self {
        Path(segments)
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(file)");
        }
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if i == 0 => write!(f, "{key}")?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// A line and column in the policy text, both 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Location {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
}

impl Location {
    /// The location of byte `offset` in `text` (clamped to the text).
    pub fn of_offset(text: &str, offset: usize) -> Self {
        let mut line = 1;
        let mut column = 1;
        for (at, c) in text.char_indices() {
            if at >= offset {
                break;
            }
            if c == '\n' {
                line += 1;
                column = 1;
            } else {
                column += 1;
            }
        }
        Location { line, column }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_display_as_in_the_file() {
        let path = Path::root()
            .key("tenants")
            .index(1)
            .key("ttl")
            .key("max_secs");
        assert_eq!(path.to_string(), "tenants[1].ttl.max_secs");
        assert_eq!(Path::root().to_string(), "(file)");
        assert!(Path::root().is_root() && !path.is_root());
    }

    #[test]
    fn locations_count_lines_and_characters() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(
            Location::of_offset(text, 0),
            Location { line: 1, column: 1 }
        );
        let at = text.find('=').unwrap();
        assert_eq!(
            Location::of_offset(text, at),
            Location { line: 1, column: 3 }
        );
        let at = text.rfind('=').unwrap();
        assert_eq!(
            Location::of_offset(text, at),
            Location { line: 2, column: 4 }
        );
        assert_eq!(Location::of_offset(text, 999).line, 3);
    }
}
