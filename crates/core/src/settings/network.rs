//! The network knobs the component is given, which are also the host's own
//! caps: `RAXX_CONNECT_TIMEOUT_MS`, `RAXX_TIMEOUT_MS` (at least 1 ms, at
//! most 10 minutes) and `RAXX_RETRIES` (at most 10).

use super::{number, ConfigError, Env};

pub const DEFAULT_CONNECT_TIMEOUT_MS: u32 = 5_000;
pub const DEFAULT_FIRST_BYTE_TIMEOUT_MS: u32 = 20_000;
pub const DEFAULT_RETRIES: u32 = 2;

/// Longest timeout a variable may set.
const MAX_TIMEOUT_MS: u32 = 600_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NetworkSettings {
    pub connect_timeout_ms: u32,
    pub first_byte_timeout_ms: u32,
    pub max_retries: u32,
}

/// The timeouts (a value of 0 counts as 1 ms) and retries; a value that is
/// not a whole number in range is a `Side::Host` error naming the variable.
pub fn read(var: &impl Env) -> Result<NetworkSettings, ConfigError> {
    let (connect_timeout_ms, first_byte_timeout_ms) = timeouts(var)?;
    Ok(NetworkSettings {
        connect_timeout_ms,
        first_byte_timeout_ms,
        max_retries: number(var, "RAXX_RETRIES", DEFAULT_RETRIES, 10)?,
    })
}

/// The timeouts alone, in ms (connect, first byte): the host's own caps.
pub fn timeouts(var: &impl Env) -> Result<(u32, u32), ConfigError> {
    let ms =
        |name: &str, default: u32| number(var, name, default, MAX_TIMEOUT_MS).map(|n| n.max(1));
    Ok((
        ms("RAXX_CONNECT_TIMEOUT_MS", DEFAULT_CONNECT_TIMEOUT_MS)?,
        ms("RAXX_TIMEOUT_MS", DEFAULT_FIRST_BYTE_TIMEOUT_MS)?,
    ))
}
