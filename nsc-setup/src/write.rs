//! Writing files safely: every file mode 0600, every directory 0700, and no half-written
//! estate. A new estate is built in a temp directory next to the target and renamed into
//! place; changes to an existing estate write each file through a temp file and rename,
//! and undo what they did when a later step fails.
//!
//! Not here: what the files contain (see [`crate::store`], [`crate::server_config`] and
//! [`crate::product`]).

use std::collections::BTreeMap;
use std::fs::{self, DirBuilder, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Component, Path, PathBuf};

use crate::error::StoreError;

/// Mode of every file written.
pub const FILE_MODE: u32 = 0o600;
/// Mode of every directory created.
pub const DIR_MODE: u32 = 0o700;
/// Prefix of the temp directories and files made next to their targets.
const TEMP_PREFIX: &str = ".nsc-setup-";

/// Files to write, by path relative to the estate directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileSet {
    files: BTreeMap<PathBuf, Vec<u8>>,
}

impl FileSet {
    /// An empty set.
    pub fn new() -> Self {
        FileSet::default()
    }

    /// Adds (or replaces) the file at relative path `path`.
    pub fn insert(&mut self, path: impl Into<PathBuf>, contents: impl Into<Vec<u8>>) {
        self.files.insert(path.into(), contents.into());
    }

    /// Adds every file of `other`.
    pub fn extend(&mut self, other: FileSet) {
        self.files.extend(other.files);
    }

    /// The relative paths, sorted.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.files.keys().map(PathBuf::as_path)
    }

    /// The contents of `path`.
    pub fn get(&self, path: impl AsRef<Path>) -> Option<&[u8]> {
        self.files.get(path.as_ref()).map(Vec::as_slice)
    }

    /// The number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Checks that every path is relative and stays inside the directory.
    fn check(&self) -> Result<(), StoreError> {
        for path in self.files.keys() {
            let inside = path.components().all(|c| matches!(c, Component::Normal(_)));
            if !inside || path.as_os_str().is_empty() {
                return Err(StoreError::Invalid {
                    path: path.clone(),
                    reason: String::from("not a plain relative path"),
                });
            }
        }
        Ok(())
    }
}

/// Writes `files` as a new directory `dir`, all or nothing: into a temp directory next to
/// `dir`, then renamed to `dir`. An existing non-empty `dir` is refused unless `force`,
/// in which case it is replaced (and restored if the final rename fails).
///
/// # Errors
/// [`StoreError::Exists`] without `force`; [`StoreError::Io`] on any filesystem error,
/// after which `dir` is as it was.
pub fn write_new_dir(files: &FileSet, dir: &Path, force: bool) -> Result<(), StoreError> {
    files.check()?;
    let existing = match fs::read_dir(dir) {
        Ok(mut entries) => Some(entries.next().is_some()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
        Err(err) => return Err(StoreError::io("reading", dir)(err)),
    };
    if existing == Some(true) && !force {
        return Err(StoreError::Exists {
            path: dir.to_path_buf(),
        });
    }
    let parent = dir.parent().unwrap_or(Path::new("."));
    create_dirs(parent)?;
    let staging = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .permissions(fs::Permissions::from_mode(DIR_MODE))
        .tempdir_in(parent)
        .map_err(StoreError::io("creating a temp dir in", parent))?;
    for (path, contents) in &files.files {
        write_file(&staging.path().join(path), contents)?;
    }
    match existing {
        Some(true) => replace_dir(staging, dir, parent),
        Some(false) | None => {
            fs::rename(staging.path(), dir).map_err(StoreError::io("renaming into", dir))?;
            let _kept = staging.keep();
            Ok(())
        }
    }
}

/// Moves the old `dir` aside, renames `staging` into place, then deletes the old one;
/// puts the old one back if the rename fails.
fn replace_dir(staging: tempfile::TempDir, dir: &Path, parent: &Path) -> Result<(), StoreError> {
    let aside = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempdir_in(parent)
        .map_err(StoreError::io("creating a temp dir in", parent))?;
    let old = aside.path().join("old");
    fs::rename(dir, &old).map_err(StoreError::io("moving aside", dir))?;
    if let Err(err) = fs::rename(staging.path(), dir) {
        let _restored = fs::rename(&old, dir);
        return Err(StoreError::io("renaming into", dir)(err));
    }
    let _kept = staging.keep();
    // `aside` and the old estate inside it are removed when it drops.
    drop(aside);
    Ok(())
}

/// Writes `files` into the existing directory `dir`, each through a temp file and a
/// rename; files whose content is unchanged are left alone. If one fails, files created are removed and files replaced are restored.
///
/// # Errors
/// [`StoreError::Io`] for the failing step (after the undo).
pub fn write_into(files: &FileSet, dir: &Path) -> Result<(), StoreError> {
    files.check()?;
    let mut undo: Vec<(PathBuf, Option<Vec<u8>>)> = Vec::new();
    for (path, contents) in &files.files {
        let target = dir.join(path);
        let before = match fs::read(&target) {
            Ok(old) => Some(old),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
            Err(err) => {
                roll_back(&undo);
                return Err(StoreError::io("reading", &target)(err));
            }
        };
        if before.as_deref() == Some(contents.as_slice()) {
            continue;
        }
        if let Err(err) = replace_file(&target, contents) {
            roll_back(&undo);
            return Err(err);
        }
        undo.push((target, before));
    }
    Ok(())
}

/// Undoes `write_into`'s steps, newest first, ignoring errors (nothing better to do).
fn roll_back(undo: &[(PathBuf, Option<Vec<u8>>)]) {
    for (path, before) in undo.iter().rev() {
        let _ignored = match before {
            Some(old) => replace_file(path, old),
            None => fs::remove_file(path).map_err(StoreError::io("removing", path)),
        };
    }
}

/// Writes `path` through a temp file in the same directory and a rename.
fn replace_file(path: &Path, contents: &[u8]) -> Result<(), StoreError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    create_dirs(dir)?;
    let mut temp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .permissions(fs::Permissions::from_mode(FILE_MODE))
        .tempfile_in(dir)
        .map_err(StoreError::io("creating a temp file in", dir))?;
    temp.write_all(contents)
        .and_then(|()| temp.as_file().sync_all())
        .map_err(StoreError::io("writing", temp.path().to_path_buf()))?;
    temp.persist(path)
        .map_err(|err| StoreError::io("renaming into", path)(err.error))?;
    Ok(())
}

/// Creates a new file (mode 0600) and its missing directories (mode 0700).
fn write_file(path: &Path, contents: &[u8]) -> Result<(), StoreError> {
    if let Some(dir) = path.parent() {
        create_dirs(dir)?;
    }
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(path)
        .map_err(StoreError::io("creating", path))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(StoreError::io("writing", path))
}

/// Creates `dir` and its missing parents with mode 0700.
pub fn create_dirs(dir: &Path) -> Result<(), StoreError> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)
        .map_err(StoreError::io("creating", dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    fn sample() -> FileSet {
        let mut files = FileSet::new();
        files.insert("a/b/c.txt", "c");
        files.insert("top.txt", "top");
        files
    }

    #[test]
    fn new_dirs_are_all_or_nothing_with_private_modes() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("estate");
        write_new_dir(&sample(), &dir, false).unwrap();
        assert_eq!(fs::read_to_string(dir.join("a/b/c.txt")).unwrap(), "c");
        assert_eq!(mode(&dir), DIR_MODE);
        assert_eq!(mode(&dir.join("a/b")), DIR_MODE);
        assert_eq!(mode(&dir.join("top.txt")), FILE_MODE);

        let err = write_new_dir(&sample(), &dir, false).unwrap_err();
        assert!(matches!(err, StoreError::Exists { .. }));
        let mut other = FileSet::new();
        other.insert("only.txt", "x");
        write_new_dir(&other, &dir, true).unwrap();
        assert!(!dir.join("top.txt").exists());
        assert!(dir.join("only.txt").exists());
        let leftovers: Vec<_> = fs::read_dir(parent.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "temp dirs are cleaned up");
    }

    #[test]
    fn an_existing_empty_dir_is_filled() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("estate");
        fs::create_dir(&dir).unwrap();
        write_new_dir(&sample(), &dir, false).unwrap();
        assert!(dir.join("top.txt").exists());
    }

    #[test]
    fn escaping_paths_are_refused() {
        let parent = tempfile::tempdir().unwrap();
        for bad in ["../x", "/abs", "a/../../b", ""] {
            let mut files = FileSet::new();
            files.insert(bad, "x");
            let err = write_new_dir(&files, &parent.path().join("e"), false).unwrap_err();
            assert!(matches!(err, StoreError::Invalid { .. }), "{bad}");
        }
        assert!(!parent.path().join("e").exists());
    }

    #[test]
    fn writing_into_a_dir_undoes_itself_on_failure() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("keep.txt"), "old").unwrap();
        // A directory where a file should go makes the last write fail.
        fs::create_dir(dir.path().join("z_blocker")).unwrap();
        fs::write(dir.path().join("z_blocker/inner"), "x").unwrap();
        let mut files = FileSet::new();
        files.insert("keep.txt", "new");
        files.insert("new/file.txt", "n");
        files.insert("z_blocker", "cannot replace a directory");
        let err = write_into(&files, dir.path()).unwrap_err();
        assert!(matches!(err, StoreError::Io { .. }), "{err}");
        assert_eq!(
            fs::read_to_string(dir.path().join("keep.txt")).unwrap(),
            "old"
        );
        assert!(!dir.path().join("new/file.txt").exists());

        files = FileSet::new();
        files.insert("keep.txt", "new");
        write_into(&files, dir.path()).unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join("keep.txt")).unwrap(),
            "new"
        );
        assert_eq!(mode(&dir.path().join("keep.txt")), FILE_MODE);
    }
}
