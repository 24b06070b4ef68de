//! What the `init` tests share: the options of a two-tenant estate, `init` with
//! sequential keys at a fixed time, and walking a written tree.

#![allow(dead_code, reason = "each test binary uses some of these helpers")]
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use nsc_setup::{init_with, InitOptions, ResolverKind, SequentialKeys, ServerSettings, Written};

pub const NOW: i64 = 1_800_000_000;

pub fn options(dir: &Path, resolver: ResolverKind, scoped: bool) -> InitOptions {
    InitOptions {
        dir: dir.to_path_buf(),
        operator: "OP".into(),
        tenants: vec!["acme".into(), "globex".into()],
        scoped_keys: scoped,
        server: ServerSettings {
            resolver,
            host: "127.0.0.1".into(),
            port: 4222,
            jetstream: true,
        },
        force: false,
        callout: false,
    }
}

pub fn init(dir: &Path, resolver: ResolverKind) -> Written {
    init_with(
        &options(dir, resolver, false),
        &mut SequentialKeys::new(1),
        NOW,
    )
    .unwrap()
}

/// Every file and directory under `root`, relative.
pub fn walk(root: &Path) -> (BTreeSet<PathBuf>, BTreeSet<PathBuf>) {
    let mut files = BTreeSet::new();
    let mut dirs = BTreeSet::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(root).unwrap().to_path_buf();
            if path.is_dir() {
                dirs.insert(rel);
                todo.push(path);
            } else {
                files.insert(rel);
            }
        }
    }
    (files, dirs)
}

pub fn key_file(public_key: &str) -> PathBuf {
    let kind = &public_key[..1];
    let shard = &public_key[1..3];
    PathBuf::from(format!("nkeys/keys/{kind}/{shard}/{public_key}.nk"))
}
