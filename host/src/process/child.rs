//! Running the wrapped command (`exec`) or agent (`spawn`): stdio passed
//! through, the environment given whole (`child_env`), SIGINT, SIGTERM,
//! SIGHUP and SIGQUIT forwarded, its exit status returned.
//!
//! A child outside a sandbox shares raxx's process group, so a ^C typed in
//! the terminal reaches it directly; a signal sent to raxx itself (`kill`, an
//! orchestrator stopping it) is passed on. A sandboxed agent runs in its own
//! session, so every such signal is passed on, to the agent inside.
//!
//! signal-hook leaves its handler installed after the child has ended, which
//! would swallow these signals for good: a caller whose clean-up must finish
//! (the session revoking its tokens) puts the default handling back after
//! that, with `restore_default_signals`, so a signal then ends raxx whatever
//! slower clean-up it is doing (an isolated agent's fetch-back).

use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
use signal_hook::iterator::exfiltrator::origin::WithOrigin;
use signal_hook::iterator::SignalsInfo;
use signal_hook::low_level::siginfo::Cause;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Why the command did not run. Its status is a shell's for a command that
/// did not run (126, 127), not one of raxx's exit codes; no command at all is
/// a usage error.
#[derive(Debug)]
pub enum StartError {
    /// Nothing after `--`.
    NoCommand,
    /// Not found (127, as shells do).
    NotFound(String),
    /// Found but not started, or lost track of (126).
    CannotRun(String),
}

impl StartError {
    /// The status to exit with: 64 (usage), 127 or 126.
    pub fn status(&self) -> u8 {
        match self {
            StartError::NoCommand => crate::exit::Exit::Usage.code(),
            StartError::NotFound(_) => 127,
            StartError::CannotRun(_) => 126,
        }
    }
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::NoCommand => f.write_str("no command given after --"),
            StartError::NotFound(m) | StartError::CannotRun(m) => f.write_str(m),
        }
    }
}

/// What to run, and how.
pub struct Child<'a> {
    pub argv: &'a [String],
    /// The child's whole environment.
    pub env: Vec<(OsString, OsString)>,
    /// bwrap and its arguments, for an agent that runs sandboxed.
    pub sandbox: Option<(PathBuf, Vec<OsString>)>,
}

/// Finds `program` as the child's `PATH` would (a name with a slash is taken as is).
pub fn find(program: &str, env: &[(OsString, OsString)]) -> Option<PathBuf> {
    if program.contains('/') {
        return Path::new(program).is_file().then(|| PathBuf::from(program));
    }
    let path = env
        .iter()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

fn to_signal(signal: i32) -> Option<rustix::process::Signal> {
    use rustix::process::Signal;
    [
        (SIGINT, Signal::INT),
        (SIGTERM, Signal::TERM),
        (SIGHUP, Signal::HUP),
        (SIGQUIT, Signal::QUIT),
    ]
    .into_iter()
    .find(|(n, _)| *n == signal)
    .map(|(_, s)| s)
}

/// Runs the child and waits for it; its exit code (128 + signal number when a
/// signal ended it).
pub fn run(child: Child<'_>) -> Result<u8, StartError> {
    let Some((program, args)) = child.argv.split_first() else {
        return Err(StartError::NoCommand);
    };
    let not_found = || {
        StartError::NotFound(format!(
            "cannot run '{program}': not found on the PATH it was given"
        ))
    };
    let mut cmd = match &child.sandbox {
        Some((bwrap, sandbox)) => {
            // bwrap would report a missing program as its own failure: say it as a shell would.
            find(program, &child.env).ok_or_else(not_found)?;
            let mut cmd = Command::new(bwrap);
            cmd.args(sandbox).arg("--").arg(program);
            cmd
        }
        None => Command::new(program),
    };
    cmd.args(args).env_clear().envs(
        child
            .env
            .iter()
            .map(|(k, v)| (k.as_os_str(), v.as_os_str())),
    );
    // Caught from now on (the child starts with default handlers: exec resets caught signals).
    default_when_restored()
        .map_err(|e| StartError::CannotRun(format!("cannot forward signals: {e}")))?;
    let mut signals = SignalsInfo::<WithOrigin>::new([SIGINT, SIGTERM, SIGHUP, SIGQUIT])
        .map_err(|e| StartError::CannotRun(format!("cannot forward signals: {e}")))?;
    let process = cmd.spawn();
    let mut process = match process {
        Ok(p) => p,
        Err(e) => {
            signals.handle().close();
            let message = format!("cannot run '{program}': {e}");
            return Err(if e.kind() == std::io::ErrorKind::NotFound {
                StartError::NotFound(message)
            } else {
                StartError::CannotRun(message)
            });
        }
    };
    let (pid, sandboxed) = (process.id(), child.sandbox.is_some());
    let handle = signals.handle();
    let forwarder = std::thread::spawn(move || {
        for origin in signals.forever() {
            // Typed in the terminal: a child of our process group has it already.
            if !sandboxed && origin.cause == Cause::Kernel {
                continue;
            }
            let target = if sandboxed {
                crate::process::isolate::agent_pid(pid)
            } else {
                Some(pid)
            };
            if let (Some(target), Some(signal)) = (
                target.and_then(|t| rustix::process::Pid::from_raw(t as i32)),
                to_signal(origin.signal),
            ) {
                let _ = rustix::process::kill_process(target, signal);
            }
        }
    });
    let status = process.wait();
    handle.close();
    let _ = forwarder.join();
    let status =
        status.map_err(|e| StartError::CannotRun(format!("lost track of '{program}': {e}")))?;
    if let Some(code) = status.code() {
        return Ok(code as u8);
    }
    use std::os::unix::process::ExitStatusExt;
    Ok(status.signal().map(|s| 128 + s as u8).unwrap_or(1))
}

/// Set by `restore_default_signals`: the forwarded signals then take their
/// default action again.
static RESTORED: std::sync::OnceLock<std::sync::Arc<std::sync::atomic::AtomicBool>> =
    std::sync::OnceLock::new();

/// Registers, once per process, signal-hook's emulation of the default action
/// for the forwarded signals, which runs only once `RESTORED` is set.
fn default_when_restored() -> std::io::Result<()> {
    if RESTORED.get().is_some() {
        return Ok(());
    }
    let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    for signal in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] {
        signal_hook::flag::register_conditional_default(signal, flag.clone())?;
    }
    let _ = RESTORED.set(flag);
    Ok(())
}

/// Puts back the default action of the signals `run` forwards.
pub fn restore_default_signals() {
    if let Some(flag) = RESTORED.get() {
        flag.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The real `program` for the gh shim: on `PATH`, but not in `skip` (the session's own bin folder).
pub fn find_skipping(program: &str, path: &OsStr, skip: &Path) -> Option<PathBuf> {
    std::env::split_paths(path)
        .filter(|dir| dir != skip)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}
