//! `raxx-host verify BOT|--all`: the per-bot smoke test. Mint, check the
//! token kind, the App's slug, and what the token reaches; one row per bot.

use crate::audit::Event;
use crate::cli::audit::bot_event;
use crate::cli::context::Context;
use crate::cli::context::{answered, settings};
use crate::cli::output::print;
use crate::error::Error;
use crate::exit::Exit;
use crate::support::display::strip;
use crate::{PermissionGap, PermissionLevel, Verification};

#[derive(clap::Args)]
pub struct Args {
    /// Bot to check.
    #[arg(
        value_name = "BOT",
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    pub bot: Option<String>,

    /// Check every bot of the policy.
    #[arg(long)]
    pub all: bool,
}

/// Whether the bot fails verify: a mismatch, a suspended installation, or a
/// permission its own users ask that the installation lacks (their mints fail).
fn fails(v: &Verification) -> bool {
    !v.problems.is_empty() || v.suspended_at.is_some() || !v.missing.is_empty()
}

/// The STATUS cell.
fn verify_status(v: &Verification) -> String {
    match (&v.suspended_at, v.missing.is_empty(), v.excess.is_empty()) {
        _ if !v.problems.is_empty() => format!("MISMATCH: {}", v.problems.join("; ")),
        (Some(at), _, _) => format!(
            "SUSPENDED since {at} by {}: lift with raxx-host unsuspend {}",
            v.suspended_by.as_deref().unwrap_or("unknown"),
            v.bot
        ),
        (None, false, _) => "MISSING PERMISSIONS (see drift below)".to_string(),
        (None, true, false) => "ok, excess grants (see drift below)".to_string(),
        (None, true, true) => "ok".to_string(),
    }
}

fn verify_row(v: &Verification) -> [String; 7] {
    let mut repos = v.repository_count.to_string();
    if !v.repositories.is_empty() {
        let shown: Vec<&str> = v.repositories.iter().take(3).map(String::as_str).collect();
        let more = if v.repositories.len() > 3 {
            ", …"
        } else {
            ""
        };
        repos = format!("{repos} ({}{more})", shown.join(", "));
    }
    let dash = |cell: Option<String>| cell.unwrap_or_else(|| "-".to_string());
    [
        &v.bot,
        &v.app_slug,
        &v.app_id.to_string(),
        &dash(v.installation_id.map(|id| id.to_string())),
        &repos,
        &dash(v.expires_at.clone()),
        &verify_status(v),
    ]
    .map(|cell| strip(cell))
}

fn level(level: &Option<PermissionLevel>) -> &'static str {
    level.map_or("none", crate::sandbox::wit_text::level)
}

/// The drift section under the table: one line per bot and permission.
/// Missing permissions name every user of the bot whose mints they break.
fn drift_lines(v: &Verification) -> Vec<String> {
    let mut missing: Vec<(&PermissionGap, Vec<String>)> = Vec::new();
    for m in &v.missing {
        let user = m
            .agent
            .clone()
            .unwrap_or_else(|| format!("{} (its policy entry)", v.bot));
        for gap in &m.permissions {
            let same = |g: &&PermissionGap| {
                (&g.name, &g.asked, &g.granted) == (&gap.name, &gap.asked, &gap.granted)
            };
            match missing.iter_mut().find(|(g, _)| same(g)) {
                Some((_, users)) => users.push(user.clone()),
                None => missing.push((gap, vec![user.clone()])),
            }
        }
    }
    let missing = missing.into_iter().map(|(g, users)| {
        format!(
            "{}  MISSING  {}={} asked, {} granted, by {}: their mints fail; grant it to the App on GitHub, or drop it from the policy",
            v.bot, g.name, level(&g.asked), level(&g.granted), users.join(", ")
        )
    });
    let excess = v.excess.iter().map(|g| match &g.asked {
        None => format!("{}  EXCESS   {}={} granted, asked by no user of the bot: least privilege says remove it from the App on GitHub", v.bot, g.name, level(&g.granted)),
        Some(asked) => format!("{}  EXCESS   {}={} granted, at most {}={} asked: least privilege says lower it on GitHub", v.bot, g.name, level(&g.granted), g.name, crate::sandbox::wit_text::level(*asked)),
    });
    missing.chain(excess).map(|line| strip(&line)).collect()
}

fn table(rows: &[[String; 7]]) -> String {
    crate::support::display::table(
        [
            "BOT",
            "APP SLUG",
            "APP ID",
            "INSTALLATION",
            "REPOSITORIES",
            "TOKEN EXPIRES",
            "STATUS",
        ],
        rows,
    )
}

/// The smoke test: one row per bot; exit 0 only when every bot checks out.
pub fn run(context: &Context, args: Args) -> Result<u8, Error> {
    let bots = context.bots_or(args.bot)?;
    let settings = settings().map_err(|f| f.failure)?;
    let mut rows = Vec::new();
    let mut drift = Vec::new();
    let mut code = Exit::Ok;
    for resolved in &bots {
        let bot = &resolved.bot;
        let result = answered(context.runtime.verify(&settings, resolved))?;
        let event = bot_event("verify", bot);
        match result {
            Ok(v) => {
                if fails(&v) && code == Exit::Ok {
                    code = Exit::Mismatch;
                }
                let status = verify_status(&v);
                let outcome = if fails(&v) {
                    Err((i32::from(Exit::Mismatch.code()), status.as_str()))
                } else {
                    Ok(())
                };
                let ids = v
                    .installation_id
                    .map(|id| (v.app_id.to_string(), id.to_string()));
                let installation = ids.as_ref().map(|(a, i)| (a.as_str(), i.as_str()));
                context.audit(Event {
                    outcome,
                    installation,
                    ..event
                })?;
                rows.push(verify_row(&v));
                drift.extend(drift_lines(&v));
            }
            Err(e) => {
                let failure = Error::from_mint_error(&e);
                if code == Exit::Ok {
                    code = failure.exit;
                }
                context.audit(Event {
                    outcome: Err((i32::from(failure.exit.code()), &failure.message)),
                    ..event
                })?;
                let dash = || "-".to_string();
                rows.push([
                    bot.clone(),
                    dash(),
                    dash(),
                    dash(),
                    dash(),
                    dash(),
                    format!(
                        "ERROR (exit {}): {}",
                        failure.exit.code(),
                        crate::support::display::one_line(&failure.message)
                    ),
                ]);
            }
        }
    }
    let mut out = table(&rows);
    if !drift.is_empty() {
        out.push_str(
            "\nPermission drift (the installation's grant on GitHub against the policy):\n",
        );
        out.extend(drift.iter().map(|line| format!("  {line}\n")));
    }
    print(&out)?;
    Ok(code.code())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MissingPermissions, Permission};

    fn gap(name: &str, asked: Option<&str>, granted: Option<&str>) -> PermissionGap {
        PermissionGap {
            name: name.into(),
            asked: asked.map(|l| crate::sandbox::wit_text::parse_level(l).unwrap()),
            granted: granted.map(|l| crate::sandbox::wit_text::parse_level(l).unwrap()),
        }
    }

    /// What a hostile GitHub could put in every string verify prints (a
    /// permission level is a WIT enum now: it carries no string to abuse).
    fn hostile() -> Verification {
        let esc = |s: &str| format!("{s}\u{1b}[2J\r\nFAKE ROW ok\u{7}");
        Verification {
            bot: "raxx-dev-bot".into(),
            app_slug: esc("raxx-dev-bot"),
            app_id: 900001,
            installation_id: Some(55000001),
            repository_count: 1,
            repositories: vec![esc("repo")],
            expires_at: Some(esc("2026-11-30T11:00:00Z")),
            problems: vec![],
            granted: vec![Permission {
                name: esc("issues"),
                level: PermissionLevel::Write,
            }],
            suspended_at: Some(esc("2026-11-30T10:00:00Z")),
            suspended_by: Some(esc("octo")),
            missing: vec![MissingPermissions {
                agent: Some("card-groomer".into()),
                permissions: vec![gap(&esc("issues"), Some("write"), Some("read"))],
            }],
            excess: vec![gap(&esc("administration"), None, Some("write"))],
        }
    }

    #[test]
    fn server_strings_are_printed_without_control_characters() {
        let v = hostile();
        let printed = format!("{}{}", table(&[verify_row(&v)]), drift_lines(&v).join("\n"));
        assert!(
            !printed.chars().any(|c| c.is_control() && c != '\n'),
            "{printed:?}"
        );
        assert_eq!(
            printed.lines().count(),
            4,
            "one header, one row, two drift lines: {printed}"
        );
        assert!(
            printed.contains("SUSPENDED since 2026-11-30T10:00:00Z[2J")
                && printed.contains("by octo[2J"),
            "{printed}"
        );
    }

    #[test]
    fn missing_permissions_are_grouped_by_permission_with_every_user_named() {
        let mut v = hostile();
        let both = vec![gap("actions", Some("read"), None)];
        v.missing = vec![
            MissingPermissions {
                agent: None,
                permissions: both.clone(),
            },
            MissingPermissions {
                agent: Some("feature-developer".into()),
                permissions: both,
            },
        ];
        v.excess.clear();
        assert_eq!(
            drift_lines(&v),
            ["raxx-dev-bot  MISSING  actions=read asked, none granted, by raxx-dev-bot (its policy entry), feature-developer: their mints fail; grant it to the App on GitHub, or drop it from the policy"]
        );
        assert!(fails(&v));
        v.suspended_at = None;
        assert_eq!(verify_status(&v), "MISSING PERMISSIONS (see drift below)");
        v.missing.clear();
        assert!(!fails(&v));
        assert_eq!(verify_status(&v), "ok");
    }
}
