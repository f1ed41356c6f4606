//! Reading the files a user points raxx at (policy, agent map, component):
//! regular files only, bounded in size. `/dev/zero` would eat memory and a
//! FIFO would hang the open; both are refused with one line saying so.

use std::io::Read;
use std::path::Path;

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
    let file = options.open(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    let meta = file.metadata().map_err(|e| format!("cannot read {shown}: {e}"))?;
    if !meta.is_file() {
        return Err(format!("{shown} is not a regular file; give the path of the file itself"));
    }
    if meta.len() > max {
        return Err(format!("{shown} is {} bytes, more than the {max} allowed; is it the right file?", meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // `take` also bounds a file that grows while it is read.
    file.take(max + 1).read_to_end(&mut bytes).map_err(|e| format!("cannot read {shown}: {e}"))?;
    if bytes.len() as u64 > max {
        return Err(format!("{shown} is more than the {max} bytes allowed"));
    }
    Ok(bytes)
}

/// `read_regular` for text.
pub fn read_text(path: &Path, max: u64) -> Result<String, String> {
    String::from_utf8(read_regular(path, max)?).map_err(|_| format!("{} is not UTF-8 text", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_fifos_directories_and_big_files_are_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read_regular(Path::new("/dev/zero"), 16).unwrap_err().contains("not a regular file"));
        assert!(read_regular(dir.path(), 16).unwrap_err().contains("not a regular file"));
        let fifo = dir.path().join("fifo");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        let start = std::time::Instant::now();
        assert!(read_regular(&fifo, 16).unwrap_err().contains("not a regular file"));
        assert!(start.elapsed() < std::time::Duration::from_secs(2), "a FIFO must not hang the open");
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'x'; 17]).unwrap();
        assert!(read_regular(&big, 16).unwrap_err().contains("17 bytes, more than the 16"));
        std::fs::write(&big, b"ok").unwrap();
        assert_eq!(read_text(&big, 16).unwrap(), "ok");
        assert!(read_regular(&dir.path().join("missing"), 16).unwrap_err().starts_with("cannot read"));
    }
}
