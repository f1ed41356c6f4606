//! Running the wrapped command (`exec`) or agent (`spawn`): stdio passed
//! through, environment adjusted, its exit status returned.

use std::process::Command;

/// How the child's environment differs from ours.
#[derive(Clone, Debug, Default)]
pub struct ChildEnv {
    /// Variables removed before `set` is applied (operator credentials), in
    /// addition to the vault credentials, which are always removed.
    pub remove: Vec<String>,
    pub set: Vec<(String, String)>,
}

/// Why the command did not run.
#[derive(Debug)]
pub struct StartError {
    /// 127 when not found, 126 otherwise (as shells do).
    pub code: i32,
    pub message: String,
}

/// Runs `argv` with stdin, stdout and stderr inherited and without the vault
/// credentials (see `settings::VAULT_CREDENTIAL_VARS`); returns its exit code
/// (128 + signal number when a signal ended it).
pub fn run(argv: &[String], env: &ChildEnv) -> Result<i32, StartError> {
    let Some((program, args)) = argv.split_first() else {
        return Err(StartError { code: 64, message: "no command given after --".into() });
    };
    let mut cmd = Command::new(program);
    cmd.args(args);
    for name in crate::settings::VAULT_CREDENTIAL_VARS.iter().copied().chain(env.remove.iter().map(String::as_str)) {
        cmd.env_remove(name);
    }
    cmd.envs(env.set.iter().map(|(k, v)| (k, v)));
    let status = cmd.status().map_err(|e| StartError {
        code: if e.kind() == std::io::ErrorKind::NotFound { 127 } else { 126 },
        message: format!("cannot run '{program}': {e}"),
    })?;
    if let Some(code) = status.code() {
        return Ok(code);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return Ok(128 + signal);
        }
    }
    Ok(1)
}
