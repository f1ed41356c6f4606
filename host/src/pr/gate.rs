//! The PR authorship gate behind `raxx-host pr-check`: does a pull request's
//! author fit the audit header in its body? Pure: the caller supplies the
//! policy's bots and the map lookup.
//!
//! | author                         | no header | header naming class C (well formed)      | malformed header |
//! |--------------------------------|-----------|------------------------------------------|------------------|
//! | one of the policy's bots `B[bot]` | refused | passes only when the map gives C → B and the header says `Bot identity: B` | refused |
//! | another bot (`dependabot[bot]`)   | passes  | refused (C's bot is not the author)       | refused |
//! | not a bot (a person)              | passes  | refused (an agent PR authored as a person) | refused |

use crate::pr::header::{self as pr_header, Header};
use crate::support::display::quoted;

/// A GitHub login as the pull request event gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Author {
    pub login: String,
    /// For `NAME[bot]`: NAME, the App's slug.
    pub bot: Option<String>,
}

impl Author {
    /// `NAME` or `NAME[bot]`, NAME being ASCII letters, digits and `-`
    /// (starting with a letter or digit), at most 100 characters.
    pub fn parse(login: &str) -> Result<Author, String> {
        let (name, bot) = match login.strip_suffix("[bot]") {
            Some(name) => (name, true),
            None => (login, false),
        };
        let ok = name.len() <= 100
            && name
                .as_bytes()
                .first()
                .is_some_and(u8::is_ascii_alphanumeric)
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !ok {
            return Err(format!("--author {} is not a GitHub login (NAME or NAME[bot]; pass github.event.pull_request.user.login)", quoted(login)));
        }
        Ok(Author {
            login: login.to_string(),
            bot: bot.then(|| name.to_string()),
        })
    }
}

/// The gate's answer, as one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass(String),
    Refuse(String),
}

/// Judges one pull request. `bot_for(class)` is the agent map: `Ok(None)`
/// for a class it does not hold; its `Err` (a broken policy) is passed on.
pub fn judge<E>(
    author: &Author,
    body: &str,
    policy_bots: &[String],
    bot_for: impl FnOnce(&str) -> Result<Option<String>, E>,
) -> Result<Verdict, E> {
    let who = &author.login;
    let ours = author
        .bot
        .as_ref()
        .filter(|b| policy_bots.iter().any(|p| p.eq_ignore_ascii_case(b)));
    let header = match pr_header::parse(body) {
        Ok(header) => header,
        Err(_) if author.bot.is_none() => return Ok(Verdict::Refuse(as_person(who))),
        Err(e) => {
            return Ok(Verdict::Refuse(format!(
                "the audit header of this PR by {who} is not well formed: {e}"
            )))
        }
    };
    let Some(Header { agent, bot, .. }) = header else {
        return Ok(match ours {
            Some(_) => Verdict::Refuse(format!(
                "this PR by {who} has no audit header; an agent PR body starts with the block `raxx-host pr-header` prints (Agent:, Bot identity:, Workflow UUID:, Orchestrator session:)"
            )),
            None if author.bot.is_some() => Verdict::Pass(format!("no audit header, and {who} is not one of the policy's bots: nothing to check")),
            None => Verdict::Pass(format!("no audit header, and {who} is not a bot: not an agent PR")),
        });
    };
    if author.bot.is_none() {
        return Ok(Verdict::Refuse(as_person(who)));
    }
    let Some(mapped) = bot_for(&agent)? else {
        return Ok(Verdict::Refuse(format!("the header's agent class {} is not in the agent map (a new class must be mapped before its first PR)", quoted(&agent))));
    };
    Ok(if bot != mapped {
        Verdict::Refuse(format!("the header says `Bot identity: {bot}`, but the agent map gives {agent} the bot {mapped}"))
    } else if !author
        .bot
        .as_ref()
        .is_some_and(|b| b.eq_ignore_ascii_case(&mapped))
    {
        Verdict::Refuse(format!(
            "the header claims {agent}, whose bot is {mapped}[bot], but this PR is by {who}"
        ))
    } else {
        Verdict::Pass(format!(
            "{who} is the bot the agent map gives {agent}, and the audit header is well formed"
        ))
    })
}

fn as_person(who: &str) -> String {
    format!("this PR carries an agent audit header but is authored by {who}, who is not a bot: an agent's PR must be opened with its bot's token (raxx-host spawn or exec), never as the operator")
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "Agent: feature-developer\nBot identity: raxx-dev-bot\nWorkflow UUID: n/a\nOrchestrator session: 2026-05-16T14:03:00Z\n\nWork.";

    fn map(class: &str) -> Result<Option<String>, ()> {
        Ok(match class {
            "feature-developer" | "ux-designer" => Some("raxx-dev-bot".into()),
            "sre-agent" => Some("raxx-ops-bot".into()),
            _ => None,
        })
    }

    fn judge_as(login: &str, body: &str) -> Verdict {
        let bots = ["raxx-dev-bot".to_string(), "raxx-ops-bot".to_string()];
        judge(&Author::parse(login).unwrap(), body, &bots, map).unwrap()
    }

    fn refused(v: Verdict) -> String {
        match v {
            Verdict::Refuse(why) => why,
            Verdict::Pass(why) => panic!("passed: {why}"),
        }
    }

    #[test]
    fn logins() {
        assert_eq!(
            Author::parse("raxx-dev-bot[bot]").unwrap().bot.as_deref(),
            Some("raxx-dev-bot")
        );
        assert_eq!(Author::parse("MooseQuest").unwrap().bot, None);
        for bad in ["", "[bot]", "a b", "x[bot][bot]", "-x", "x\x1b[bot]", "ü"] {
            assert!(Author::parse(bad).is_err(), "{bad:?}");
        }
        assert!(!Author::parse("a\x1bb").unwrap_err().contains('\x1b'));
    }

    #[test]
    fn passes_the_mapped_bot_and_non_agent_prs() {
        assert!(matches!(
            judge_as("raxx-dev-bot[bot]", BODY),
            Verdict::Pass(_)
        ));
        assert!(
            matches!(judge_as("Raxx-Dev-Bot[bot]", BODY), Verdict::Pass(_)),
            "logins compare as GitHub does, ignoring case"
        );
        assert!(matches!(
            judge_as(
                "raxx-dev-bot[bot]",
                &BODY.replace("feature-developer", "ux-designer")
            ),
            Verdict::Pass(_)
        ));
        assert!(matches!(
            judge_as("MooseQuest", "Operator's own change."),
            Verdict::Pass(_)
        ));
        assert!(matches!(
            judge_as("dependabot[bot]", "Bumps serde."),
            Verdict::Pass(_)
        ));
    }

    #[test]
    fn refuses_each_mismatch() {
        assert!(
            refused(judge_as("raxx-dev-bot[bot]", "Just a body.")).contains("has no audit header")
        );
        assert!(refused(judge_as("raxx-ops-bot[bot]", BODY)).contains("claims feature-developer, whose bot is raxx-dev-bot[bot], but this PR is by raxx-ops-bot[bot]"));
        let claims_sre = BODY
            .replace("feature-developer", "sre-agent")
            .replace("raxx-dev-bot", "raxx-ops-bot");
        assert!(refused(judge_as("raxx-dev-bot[bot]", &claims_sre))
            .contains("claims sre-agent, whose bot is raxx-ops-bot[bot]"));
        let class_only = BODY.replace("feature-developer", "sre-agent");
        assert!(refused(judge_as("raxx-dev-bot[bot]", &class_only)).contains("says `Bot identity: raxx-dev-bot`, but the agent map gives sre-agent the bot raxx-ops-bot"));
        assert!(refused(judge_as(
            "raxx-dev-bot[bot]",
            &BODY.replace("feature-developer", "intern")
        ))
        .contains("`intern` is not in the agent map"));
        assert!(refused(judge_as("MooseQuest", BODY))
            .contains("authored by MooseQuest, who is not a bot"));
        assert!(
            refused(judge_as("raxx-dev-bot", BODY)).contains("who is not a bot"),
            "a person's account named like the bot is a person"
        );
        assert!(
            refused(judge_as(
                "MooseQuest",
                "Notes\n\n> agent: feature-developer"
            ))
            .contains("who is not a bot"),
            "a mangled header on a person's PR"
        );
        assert!(refused(judge_as("dependabot[bot]", BODY))
            .contains("but this PR is by dependabot[bot]"));
        assert!(
            refused(judge_as("raxx-dev-bot[bot]", &BODY.replace("n/a", "wfl_")))
                .contains("not well formed: line 3")
        );
    }

    /// Invisible and look-alike characters: GitHub shows each of these as an
    /// `Agent:` / `Bot identity:` line.
    const HIDDEN: [&str; 13] = [
        "A\u{200B}gent: feature-developer",   // zero-width space
        "Agent\u{200D}: feature-developer",   // zero-width joiner
        "\u{FEFF}Agent: feature-developer",   // byte-order mark
        "Ag\u{AD}ent: feature-developer",     // soft hyphen
        "\u{2060}Bot identity: raxx-dev-bot", // word joiner
        "Agent\u{FF1A} feature-developer",    // fullwidth colon
        "\u{FF21}\u{FF47}\u{FF45}\u{FF4E}\u{FF54}: feature-developer", // fullwidth letters
        "\u{1D400}gent: feature-developer",   // mathematical bold A
        "\u{0410}gent: feature-developer",    // Cyrillic A
        "\u{0430}g\u{0435}nt: feature-developer", // Cyrillic a and e
        "B\u{043E}t identity: raxx-dev-bot",  // Cyrillic o
        "Summary\rAgent: feature-developer",  // a lone CR is a line break to GitHub
        "> **\u{200E}Agent\u{FE55}** feature-developer", // a mark, small colon, Markdown
    ];

    #[test]
    fn a_hidden_or_look_alike_header_is_still_a_header() {
        for line in HIDDEN {
            assert!(
                refused(judge_as("MooseQuest", &format!("{line}\n\nMy change.")))
                    .contains("who is not a bot"),
                "a person's PR passed with {line:?}"
            );
            assert!(
                refused(judge_as("MooseQuest", &format!("My change.\n\n{line}\n")))
                    .contains("who is not a bot"),
                "below the text: {line:?}"
            );
            assert!(
                refused(judge_as(
                    "raxx-dev-bot[bot]",
                    &format!("{BODY}\n\n{line}\n")
                ))
                .contains("second header field"),
                "a second header of another class: {line:?}"
            );
        }
        // Ordinary text stays ordinary.
        for body in [
            "Agency: none",
            "The agent: none",
            "Bot: y",
            "Urgent: fix",
            "\u{0410}\u{0411}\u{0412}",
        ] {
            assert!(
                matches!(judge_as("MooseQuest", body), Verdict::Pass(_)),
                "{body:?}"
            );
        }
    }

    #[test]
    fn a_broken_policy_is_passed_on() {
        let r = judge(
            &Author::parse("raxx-dev-bot[bot]").unwrap(),
            BODY,
            &["raxx-dev-bot".into()],
            |_| Err::<Option<String>, _>("broken"),
        );
        assert_eq!(r, Err("broken"));
    }
}
