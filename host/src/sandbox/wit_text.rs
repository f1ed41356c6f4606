//! The WIT types that carry meaning, as text: permission levels (GitHub's
//! spelling, as the policy, `--permission`, output and the audit record
//! write them) and the App a token came from (the audit record's `app_id`
//! stays a string: a number, or the Client ID the vault names the App by).

use crate::{AppRef, Permission, PermissionLevel};

/// `read`, `write` or `admin`.
pub fn level(level: PermissionLevel) -> &'static str {
    match level {
        PermissionLevel::Read => "read",
        PermissionLevel::Write => "write",
        PermissionLevel::Admin => "admin",
    }
}

/// The level GitHub spells `text`; `None` for anything else.
pub fn parse_level(text: &str) -> Option<PermissionLevel> {
    match text {
        "read" => Some(PermissionLevel::Read),
        "write" => Some(PermissionLevel::Write),
        "admin" => Some(PermissionLevel::Admin),
        _ => None,
    }
}

/// A `NAME=LEVEL` the user wrote, as the WIT permission. A level that is not
/// GitHub's is refused with the line the component gives a policy's (the WIT
/// enum cannot carry it to the component to refuse there).
pub fn permission(name: &str, level: &str) -> Result<Permission, String> {
    match parse_level(level) {
        Some(l) => Ok(Permission {
            name: name.to_string(),
            level: l,
        }),
        None => Err(format!(
            "invalid permission {name}={level}: {}",
            raxx_names::unknown_level(level)
        )),
    }
}

/// The App as the vault names it: its id, or its Client ID.
pub fn app(app: &AppRef) -> String {
    match app {
        AppRef::Id(id) => id.to_string(),
        AppRef::ClientId(id) => id.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_round_trip_and_others_are_refused_with_the_components_line() {
        for l in ["read", "write", "admin"] {
            assert_eq!(level(parse_level(l).unwrap()), l);
        }
        assert_eq!(
            permission("contents", "owner").unwrap_err(),
            "invalid permission contents=owner: level 'owner' is not one of read, write, admin"
        );
        assert_eq!(app(&AppRef::Id(42)), "42");
        assert_eq!(app(&AppRef::ClientId("Iv1.abc".into())), "Iv1.abc");
    }
}
