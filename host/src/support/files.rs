//! Reading the files a user points raxx at (policy, agent map, component):
//! regular files only, bounded in size. `/dev/zero` would eat memory and a
//! FIFO would hang the open; both are refused with one line saying so.
//!
//! And the files raxx rewrites for the operator below a folder they named
//! (`preamble --write`): [`Folder`] reaches them through descriptors, each
//! step `O_NOFOLLOW`, and replaces one by a new file renamed over it, so a
//! link an agent planted (the file, or any folder on the way) is refused
//! and its target never written. std has no `openat`; rustix's is used.

use crate::support::display::quoted_path;
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;
use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::os::fd::OwnedFd;
use std::path::{Component, Path, PathBuf};

/// Largest policy or agent map accepted.
pub const MAX_POLICY_BYTES: u64 = 1 << 20;
/// Largest component accepted (the minter is well under 2 MiB).
pub const MAX_COMPONENT_BYTES: u64 = 64 << 20;

/// Reads `path` if it is a regular file of at most `max` bytes.
/// The error is one line naming the file and what is wrong with it.
pub fn read_regular(path: &Path, max: u64) -> Result<Vec<u8>, String> {
    let shown = path.display();
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        // Non-blocking, so opening a FIFO with no writer returns at once (it is then refused).
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options
        .open(path)
        .map_err(|e| format!("cannot read {shown}: {e}"))?;
    let meta = file
        .metadata()
        .map_err(|e| format!("cannot read {shown}: {e}"))?;
    if !meta.is_file() {
        return Err(format!(
            "{shown} is not a regular file; give the path of the file itself"
        ));
    }
    if meta.len() > max {
        return Err(format!(
            "{shown} is {} bytes, more than the {max} allowed; is it the right file?",
            meta.len()
        ));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // `take` also bounds a file that grows while it is read.
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {shown}: {e}"))?;
    if bytes.len() as u64 > max {
        return Err(format!("{shown} is more than the {max} bytes allowed"));
    }
    Ok(bytes)
}

/// `read_regular` for text.
pub fn read_text(path: &Path, max: u64) -> Result<String, String> {
    String::from_utf8(read_regular(path, max)?)
        .map_err(|_| format!("{} is not UTF-8 text", path.display()))
}

/// A folder the user named, opened once. The folder itself may be a link
/// (`.claude/agents` → a shared folder); nothing below it is followed.
pub struct Folder {
    fd: OwnedFd,
    path: PathBuf,
}

impl Folder {
    pub fn open(path: &Path) -> std::io::Result<Folder> {
        let fd = rustix::fs::open(
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        Ok(Folder {
            fd,
            path: path.to_path_buf(),
        })
    }

    /// Why `path` (the folder's path joined with what was walked) could not be opened.
    fn refused(path: &Path, e: Errno) -> String {
        if e == Errno::LOOP || e == Errno::NOTDIR {
            format!("{} is a link (or not what it was): raxx follows no link below the folder it was given; replace it with the file itself", quoted_path(path))
        } else {
            format!(
                "cannot open {}: {}",
                quoted_path(path),
                std::io::Error::from(e)
            )
        }
    }

    /// The folder that holds `relative` (a path below this one, as
    /// [`crate::agents::definitions::find`] gives it) and the file's name,
    /// each folder on the way opened without following a link.
    fn parent(&self, relative: &Path) -> Result<(OwnedFd, OsString, PathBuf), String> {
        let mut names: Vec<&OsStr> = Vec::new();
        for component in relative.components() {
            match component {
                Component::Normal(name) => names.push(name),
                _ => {
                    return Err(format!(
                        "{} is not below {}",
                        quoted_path(relative),
                        quoted_path(&self.path)
                    ))
                }
            }
        }
        let name = names
            .pop()
            .ok_or_else(|| format!("{} names no file", quoted_path(relative)))?;
        let mut walked = self.path.clone();
        let mut dir = rustix::fs::openat(
            &self.fd,
            ".",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| Self::refused(&walked, e))?;
        for folder in names {
            walked.push(folder);
            dir = rustix::fs::openat(
                &dir,
                folder,
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .map_err(|e| Self::refused(&walked, e))?;
        }
        walked.push(name);
        Ok((dir, name.to_owned(), walked))
    }

    /// Opens `name` in `dir` for reading, if it is a regular file no other name shares (a hard link
    /// to `~/.bashrc` would be read, and its text written into the definition), of at most `max` bytes.
    fn open_file(
        dir: &OwnedFd,
        name: &OsStr,
        shown: &Path,
        max: u64,
    ) -> Result<(std::fs::File, rustix::fs::Stat), String> {
        let fd = rustix::fs::openat(
            dir,
            name,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| Self::refused(shown, e))?;
        let stat = rustix::fs::fstat(&fd).map_err(|e| {
            format!(
                "cannot read {}: {}",
                quoted_path(shown),
                std::io::Error::from(e)
            )
        })?;
        if rustix::fs::FileType::from_raw_mode(stat.st_mode) != rustix::fs::FileType::RegularFile {
            return Err("not a regular file".into());
        }
        if stat.st_nlink != 1 {
            return Err("it has other names (hard links): raxx rewrites only a file no other name shares; copy it instead".into());
        }
        if stat.st_size as u64 > max {
            return Err(format!(
                "{} bytes: more than the {max} allowed",
                stat.st_size
            ));
        }
        Ok((std::fs::File::from(fd), stat))
    }

    /// The text of the file at `relative`, read as [`Folder::replace`] would replace it.
    pub fn read_text(&self, relative: &Path, max: u64) -> Result<String, String> {
        let (dir, name, shown) = self.parent(relative)?;
        let (file, _) = Self::open_file(&dir, &name, &shown, max)?;
        let mut bytes = Vec::new();
        file.take(max + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read {}: {e}", quoted_path(&shown)))?;
        if bytes.len() as u64 > max {
            return Err(format!("more than the {max} bytes allowed"));
        }
        String::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_string())
    }

    /// Replaces the file at `relative` with `bytes`: a new file (`O_EXCL`,
    /// `O_NOFOLLOW`) in the same folder, with the old one's permissions,
    /// written and synced, then renamed over the name. A crash leaves the old
    /// text or the new; a link put there meanwhile is replaced, not followed.
    pub fn replace(&self, relative: &Path, bytes: &[u8], max: u64) -> Result<(), String> {
        use std::io::Write;
        let (dir, name, shown) = self.parent(relative)?;
        let (_, stat) = Self::open_file(&dir, &name, &shown, max)?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let mut temporary = OsString::from(".");
        temporary.push(&name);
        temporary.push(format!(".raxx-{}-{nanos}", std::process::id()));
        let failed = |e: std::io::Error| format!("cannot write {}: {e}", quoted_path(&shown));
        let fd = rustix::fs::openat(
            &dir,
            &temporary,
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        )
        .map_err(|e| failed(e.into()))?;
        let mut file = std::fs::File::from(fd);
        let written = (|| {
            file.write_all(bytes)?;
            rustix::fs::fchmod(&file, Mode::from_raw_mode(stat.st_mode & 0o777))?;
            file.sync_all()?;
            rustix::fs::renameat(&dir, &temporary, &dir, &name)?;
            Ok(())
        })();
        if written.is_err() {
            let _ = rustix::fs::unlinkat(&dir, &temporary, rustix::fs::AtFlags::empty());
        }
        written.map_err(failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_folder_reaches_no_file_through_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("agents/team")).unwrap();
        std::fs::create_dir_all(root.join("outside")).unwrap();
        std::fs::write(root.join("outside/target.md"), "keep\n").unwrap();
        std::fs::write(root.join("agents/team/real.md"), "old\n").unwrap();
        std::os::unix::fs::symlink(root.join("outside/target.md"), root.join("agents/link.md"))
            .unwrap();
        std::os::unix::fs::symlink(root.join("outside"), root.join("agents/linked")).unwrap();
        let folder = Folder::open(&root.join("agents")).unwrap();
        folder
            .replace(Path::new("team/real.md"), b"new\n", 64)
            .unwrap();
        assert_eq!(
            folder.read_text(Path::new("team/real.md"), 64).unwrap(),
            "new\n"
        );
        for (relative, names) in [("link.md", "link.md"), ("linked/target.md", "linked")] {
            assert!(
                folder
                    .read_text(Path::new(relative), 64)
                    .unwrap_err()
                    .contains(&format!("{names}` is a link")),
                "{relative}"
            );
            assert!(
                folder
                    .replace(Path::new(relative), b"owned\n", 64)
                    .unwrap_err()
                    .contains("is a link"),
                "{relative}"
            );
        }
        for relative in ["../outside/target.md", "/etc/passwd", ""] {
            assert!(
                folder.replace(Path::new(relative), b"owned\n", 64).is_err(),
                "{relative}"
            );
        }
        assert_eq!(
            std::fs::read_to_string(root.join("outside/target.md")).unwrap(),
            "keep\n"
        );
        assert_eq!(
            std::fs::read_dir(root.join("agents/team")).unwrap().count(),
            1,
            "no temporary file left"
        );
    }

    #[test]
    fn devices_fifos_directories_and_big_files_are_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read_regular(Path::new("/dev/zero"), 16)
            .unwrap_err()
            .contains("not a regular file"));
        assert!(read_regular(dir.path(), 16)
            .unwrap_err()
            .contains("not a regular file"));
        let fifo = dir.path().join("fifo");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        let start = std::time::Instant::now();
        assert!(read_regular(&fifo, 16)
            .unwrap_err()
            .contains("not a regular file"));
        assert!(
            start.elapsed() < std::time::Duration::from_secs(2),
            "a FIFO must not hang the open"
        );
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'x'; 17]).unwrap();
        assert!(read_regular(&big, 16)
            .unwrap_err()
            .contains("17 bytes, more than the 16"));
        std::fs::write(&big, b"ok").unwrap();
        assert_eq!(read_text(&big, 16).unwrap(), "ok");
        assert!(read_regular(&dir.path().join("missing"), 16)
            .unwrap_err()
            .starts_with("cannot read"));
    }
}
