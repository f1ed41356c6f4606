//! GitHub App permissions: the names GitHub knows and the levels each takes
//! (`permissions/table.rs`, generated from GitHub's REST description by
//! `scripts/gen-permissions`). A misspelt name or a level GitHub does not
//! offer is refused where it is written (the policy, `--permission`), not by
//! GitHub with a 422 at mint time.

mod table;

use table::APP_PERMISSIONS;

/// A permission level, in the order GitHub ranks them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Read,
    Write,
    Admin,
}

impl Level {
    pub fn parse(level: &str) -> Option<Level> {
        match level {
            "read" => Some(Level::Read),
            "write" => Some(Level::Write),
            "admin" => Some(Level::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Read => "read",
            Level::Write => "write",
            Level::Admin => "admin",
        }
    }
}

/// The levels GitHub offers for `name`; `None` for a name it does not know.
pub fn levels(name: &str) -> Option<&'static [Level]> {
    APP_PERMISSIONS
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(_, levels)| *levels)
}

/// `name` is a GitHub App permission; else why not, with the closest name.
pub fn check_name(name: &str) -> Result<(), String> {
    if levels(name).is_some() {
        return Ok(());
    }
    let shown = crate::names::one_line(name, 60);
    Err(match closest(name) {
        Some(known) => format!("'{shown}' is not a GitHub permission name; did you mean '{known}'?"),
        None => format!("'{shown}' is not a GitHub permission name (GitHub's snake_case names, e.g. contents, issues, pull_requests)"),
    })
}

/// `level` is one GitHub offers for the permission `name` (a known name).
pub fn check_level(name: &str, level: &str) -> Result<Level, String> {
    let offered = levels(name).unwrap_or(&[]);
    match Level::parse(level) {
        Some(l) if offered.contains(&l) => Ok(l),
        Some(_) => {
            let takes: Vec<&str> = offered.iter().map(|l| l.as_str()).collect();
            Err(format!(
                "level '{level}' is not offered for {name}; it takes {}",
                takes.join(" or ")
            ))
        }
        None => Err(raxx_names::unknown_level(level)),
    }
}

/// The known name nearest to `name`, when one is near enough to be a typo.
fn closest(name: &str) -> Option<&'static str> {
    let wanted = name.to_ascii_lowercase().replace(['-', ' '], "_");
    APP_PERMISSIONS
        .iter()
        .map(|(known, _)| (strsim::levenshtein(&wanted, known), *known))
        .filter(|(distance, known)| *distance <= 3.max(known.len() / 4))
        .min()
        .map(|(_, known)| known)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_github_s_permissions_and_their_levels() {
        assert_eq!(
            levels("pull_requests"),
            Some(&[Level::Read, Level::Write][..])
        );
        assert_eq!(
            levels("workflows"),
            Some(&[Level::Write][..]),
            "workflows is write-only"
        );
        assert_eq!(
            levels("organization_plan"),
            Some(&[Level::Read][..]),
            "read-only"
        );
        assert_eq!(
            levels("repository_projects"),
            Some(&[Level::Read, Level::Write, Level::Admin][..])
        );
        assert_eq!(levels("pull_request"), None);
        assert!(APP_PERMISSIONS.len() > 40);
    }

    #[test]
    fn an_unknown_name_suggests_the_closest() {
        assert_eq!(
            check_name("pull_request").unwrap_err(),
            "'pull_request' is not a GitHub permission name; did you mean 'pull_requests'?"
        );
        assert!(check_name("pull-requests")
            .unwrap_err()
            .contains("did you mean 'pull_requests'"));
        assert!(check_name("Contents")
            .unwrap_err()
            .contains("did you mean 'contents'"));
        assert!(check_name("secret_scaning_alerts")
            .unwrap_err()
            .contains("did you mean 'secret_scanning_alerts'"));
        assert!(check_name("workflow")
            .unwrap_err()
            .contains("did you mean 'workflows'"));
        let far = check_name("root_access").unwrap_err();
        assert!(
            far.contains("is not a GitHub permission name (") && !far.contains("did you mean"),
            "{far}"
        );
        assert!(check_name("contents").is_ok());
    }

    #[test]
    fn levels_are_those_github_offers() {
        assert_eq!(check_level("contents", "write"), Ok(Level::Write));
        assert_eq!(
            check_level("contents", "admin").unwrap_err(),
            "level 'admin' is not offered for contents; it takes read or write"
        );
        assert_eq!(
            check_level("workflows", "read").unwrap_err(),
            "level 'read' is not offered for workflows; it takes write"
        );
        assert_eq!(
            check_level("organization_projects", "admin"),
            Ok(Level::Admin)
        );
        assert_eq!(
            check_level("contents", "rw").unwrap_err(),
            "level 'rw' is not one of read, write, admin"
        );
        assert!(
            check_level("contents", "Write").is_err(),
            "levels are lower case, as GitHub takes them"
        );
    }
}
