//! Process hardening, done first thing in every `raxx-host` process.
//!
//! A `raxx-host` process holds the vault identity's secret, Infisical access
//! tokens and installation tokens, and (in a `spawn` session) lives as long as
//! an agent that runs as the same user. Non-dumpable, its
//! `/proc/PID/{environ,mem,fd,…}` belong to root and `ptrace` by the same user
//! is refused; with a core-file limit of 0 a signal such as SIGABRT writes no
//! core. Children start dumpable again (exec resets it) but keep the core limit.
//!
//! Descriptors this process inherited beyond stdin, stdout and stderr (a
//! caller's pipes, a jobserver) are marked close-on-exec, so an agent gets
//! only its stdio from whoever started raxx.

/// Makes this process non-dumpable and its core-file limit 0 (soft and hard).
/// On other systems than Linux there is nothing to do.
pub fn process() -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{
            set_dumpable_behavior, setrlimit, DumpableBehavior, Resource, Rlimit,
        };
        setrlimit(
            Resource::Core,
            Rlimit {
                current: Some(0),
                maximum: Some(0),
            },
        )?;
        set_dumpable_behavior(DumpableBehavior::NotDumpable)?;
        close_inherited_on_exec()?;
    }
    Ok(())
}

/// Marks every descriptor above 2 close-on-exec (Linux: listed in /proc/self/fd).
#[cfg(target_os = "linux")]
fn close_inherited_on_exec() -> std::io::Result<()> {
    let fds: Vec<i32> = std::fs::read_dir("/proc/self/fd")?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .filter(|fd| *fd > 2)
        .collect();
    for fd in fds {
        // SAFETY: F_SETFD only sets a flag of the descriptor table entry; no
        // memory is passed, and a descriptor closed meanwhile (the listing's
        // own) just makes the call fail with EBADF, which is ignored.
        #[allow(unsafe_code)]
        unsafe {
            libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC)
        };
    }
    Ok(())
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn the_process_ends_up_non_dumpable_without_core_files() {
        // Run in a child so the test process itself stays debuggable.
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "process::harden::tests::child_hardens_itself",
                "--nocapture",
                "--include-ignored",
            ])
            .env("RAXX_HARDEN_CHILD", "1")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains("dumpable=0 core=0/0"),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    #[ignore = "run by the_process_ends_up_non_dumpable_without_core_files"]
    fn child_hardens_itself() {
        if std::env::var_os("RAXX_HARDEN_CHILD").is_none() {
            return;
        }
        super::process().unwrap();
        let dumpable = rustix::process::dumpable_behavior().unwrap();
        let core = rustix::process::getrlimit(rustix::process::Resource::Core);
        println!(
            "dumpable={} core={}/{}",
            dumpable as i32,
            core.current.unwrap_or(u64::MAX),
            core.maximum.unwrap_or(u64::MAX)
        );
    }
}
