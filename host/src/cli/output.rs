//! What the CLI prints: a failure on one stderr line, the process's exit,
//! stdout written whole, the JSON shape of permissions.

use crate::error::Error;
use crate::exit::Exit;
use crate::process::StartError;
use crate::support::display::one_line;
use std::io::Write;
use std::process::ExitCode;

/// Prints one line on stderr, whatever the message holds, and returns `status`.
pub fn report(status: u8, message: &str) -> ExitCode {
    eprintln!("raxx-host: {}", one_line(message));
    ExitCode::from(status)
}

/// The process's exit: the status, or the failure reported on one line.
pub fn finish(result: Result<u8, Error>) -> ExitCode {
    match result {
        Ok(status) => ExitCode::from(status),
        Err(e) => report(e.exit.code(), &e.message),
    }
}

/// The wrapped command's status; one that did not start is reported here,
/// on one line, and exits 126 or 127 as a shell's would.
pub fn ran(result: Result<u8, StartError>) -> Result<u8, Error> {
    match result {
        Ok(status) => Ok(status),
        Err(StartError::NoCommand) => {
            Err(Error::new(Exit::Usage, StartError::NoCommand.to_string()))
        }
        Err(e) => {
            eprintln!("raxx-host: {}", one_line(&e.to_string()));
            Ok(e.status())
        }
    }
}

/// Writes `out` to stdout whole (exit 0), or fails (exit 1).
pub fn print(out: &str) -> Result<u8, Error> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(out.as_bytes())
        .and_then(|_| stdout.flush())
        .map(|_| Exit::Ok.code())
        .map_err(|_| Error::new(Exit::Host, "could not write to stdout"))
}

pub fn permissions_json(list: &[crate::Permission]) -> serde_json::Value {
    list.iter()
        .map(|p| {
            let level = crate::sandbox::wit_text::level(p.level);
            (p.name.clone(), serde_json::Value::from(level))
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}
