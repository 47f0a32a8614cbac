//! Expanding INPUT paths into the files to read. Directories are walked as
//! ripgrep does (the `walkdir` crate): sorted by name, hidden entries skipped,
//! symlinked directories not entered unless `--follow` (then with loop
//! detection), each file read once however many links lead to it, and files
//! that are not OTLP summarised on stderr rather than listed one by one.

use std::collections::{BTreeMap, HashSet};
use std::fs::{File, Metadata};
use std::io::Read;
use std::path::{Path, PathBuf};

use walkdir::{DirEntry, WalkDir};

use crate::error::{Error, Result};
use crate::input::{detect_wrapping, InputSource, Wrapping};

/// How directories are walked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WalkOptions {
    /// Enter symlinked directories (loops are detected and not followed).
    pub follow: bool,
}

/// Skipped files named one by one before the rest are only counted.
const SKIPS_SHOWN: usize = 8;

/// Expands directories recursively and keeps files and `-` as given.
pub(crate) fn expand(paths: &[PathBuf], opts: WalkOptions) -> Result<Vec<InputSource>> {
    let mut walk = Walk {
        opts,
        seen: HashSet::new(),
        skips: Skips::default(),
        out: Vec::new(),
    };
    for p in paths {
        if p.as_os_str() == "-" {
            walk.out.push(InputSource::Stdin);
            continue;
        }
        let meta = std::fs::metadata(p).map_err(|e| Error::io(p.display(), e))?;
        if meta.is_dir() {
            walk.dir(p)?;
        } else {
            // Given by name: always read, even twice; only walks skip repeats.
            walk.seen.insert(FileKey::of(p, &meta));
            walk.out.push(InputSource::File(p.clone()));
        }
    }
    walk.skips.report();
    Ok(walk.out)
}

struct Walk {
    opts: WalkOptions,
    seen: HashSet<FileKey>,
    skips: Skips,
    out: Vec<InputSource>,
}

impl Walk {
    fn dir(&mut self, root: &Path) -> Result<()> {
        let entries = WalkDir::new(root)
            .follow_links(self.opts.follow)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !is_hidden(e));
        for entry in entries {
            match entry {
                Ok(entry) => self.entry(&entry)?,
                Err(e) => {
                    if let (Some(path), Some(ancestor)) = (e.path(), e.loop_ancestor()) {
                        let why = format!(
                            "symlink loop (leads back to {}), not followed",
                            ancestor.display()
                        );
                        self.skips.add(path, "symlink loops", why);
                        continue;
                    }
                    if let Some(path) = e.path().filter(|p| is_broken_symlink(p)) {
                        self.skips
                            .add(path, "broken symlinks", "broken symlink".into());
                        continue;
                    }
                    let path = e.path().unwrap_or(root).display().to_string();
                    let io = e
                        .into_io_error()
                        .unwrap_or_else(|| std::io::Error::other("cannot walk directory"));
                    return Err(Error::io(path, io));
                }
            }
        }
        Ok(())
    }

    fn entry(&mut self, entry: &DirEntry) -> Result<()> {
        let path = entry.path();
        if entry.file_type().is_dir() {
            return Ok(()); // walkdir enters it
        }
        // Without --follow a symlink is not resolved by walkdir: look at its target.
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(_) if entry.path_is_symlink() => {
                self.skips
                    .add(path, "broken symlinks", "broken symlink".into());
                return Ok(());
            }
            Err(e) => return Err(Error::io(path.display(), e)),
        };
        if meta.is_dir() {
            let why = "symlinked directory, not followed (use --follow)".into();
            self.skips.add(path, "symlinked directories", why);
            return Ok(());
        }
        if !meta.is_file() {
            // FIFOs, sockets, devices: reading one could block forever.
            self.skips
                .add(path, "special files", "not a regular file".into());
            return Ok(());
        }
        if !self.seen.insert(FileKey::of(path, &meta)) {
            self.skips.add(
                path,
                "repeated files",
                "same file as one already read".into(),
            );
            return Ok(());
        }
        if is_plain_text(path) {
            // READMEs, licenses, protobuf text format: not OTLP; only skipped when found by a walk.
            self.skips
                .add(path, "plain text", "plain text, not OTLP data".into());
            return Ok(());
        }
        self.out.push(InputSource::File(path.to_path_buf()));
        Ok(())
    }
}

fn is_broken_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
        && std::fs::metadata(path).is_err()
}

fn is_hidden(entry: &DirEntry) -> bool {
    entry.file_name().to_string_lossy().starts_with('.')
}

/// The identity of a file, so one reached by several paths is read once.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum FileKey {
    #[cfg(unix)]
    Inode { dev: u64, ino: u64 },
    #[cfg(not(unix))]
    Path(PathBuf),
}

impl FileKey {
    fn of(path: &Path, meta: &Metadata) -> FileKey {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let _ = path;
            FileKey::Inode {
                dev: meta.dev(),
                ino: meta.ino(),
            }
        }
        #[cfg(not(unix))]
        {
            let _ = meta;
            FileKey::Path(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()))
        }
    }
}

/// Files a walk passed over: the first few named, the rest counted by kind.
#[derive(Debug, Default)]
struct Skips {
    shown: usize,
    more: BTreeMap<&'static str, u64>,
}

impl Skips {
    fn add(&mut self, path: &Path, kind: &'static str, why: String) {
        if self.shown < SKIPS_SHOWN {
            self.shown += 1;
            eprintln!("warning: skipping {}: {why}", path.display());
        } else {
            *self.more.entry(kind).or_default() += 1;
        }
    }

    fn report(&self) {
        let total: u64 = self.more.values().sum();
        if total == 0 {
            return;
        }
        let kinds: Vec<String> = self.more.iter().map(|(k, n)| format!("{n} {k}")).collect();
        eprintln!("warning: … and {total} more skipped ({})", kinds.join(", "));
    }
}

/// True for a file whose first KiB is printable text not starting with `{`.
/// OTLP protobuf holds binary ids and lengths; OTLP/JSON starts with `{`.
fn is_plain_text(path: &Path) -> bool {
    let mut head = [0u8; 1024];
    let Ok(n) = File::open(path).and_then(|mut f| f.read(&mut head)) else {
        return false;
    };
    let head = &head[..n];
    let first = head.iter().find(|b| !b.is_ascii_whitespace());
    n > 0
        && first != Some(&b'{')
        && detect_wrapping(head) == Wrapping::None
        && head
            .iter()
            .all(|&b| b >= 0x20 || matches!(b, b'\n' | b'\r' | b'\t'))
}
