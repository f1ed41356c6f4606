//! The audit header at the top of an agent-authored PR body (design §5):
//! rendered for `raxx-host pr-header`, parsed strictly for `raxx-host
//! pr-check`, from the one list of field names below so the two cannot drift.
//!
//! Hand-written: the header is four fixed `Name: value` lines and an optional
//! `Refs #N`, not a format any crate parses. Pure: no I/O, no policy.
//!
//! Well formed means, exactly:
//! - the first non-blank line of the body is `Agent: CLASS`, followed
//!   directly by `Bot identity: BOT`, `Workflow UUID: wfl_…|n/a`,
//!   `Orchestrator session: YYYY-MM-DDTHH:MM:SSZ` and optionally `Refs #N`;
//! - each field on its own line, with the name spelt as above, one space after
//!   the colon, and nothing after the value (a `\r` before the `\n` is allowed);
//! - CLASS and BOT: an ASCII letter or digit, then letters, digits, `-`, `_`
//!   or `.` (what the agent map accepts), at most 100 characters;
//! - the header is followed by a blank line or the end of the body;
//! - no line after it looks like a header field again (one block per body).

use crate::support::display::quoted;

pub const AGENT: &str = "Agent: ";
pub const BOT: &str = "Bot identity: ";
pub const WORKFLOW_UUID: &str = "Workflow UUID: ";
pub const SESSION: &str = "Orchestrator session: ";
pub const REFS: &str = "Refs #";
/// What a PR body says when it has no workflow in scope.
pub const NO_WORKFLOW: &str = "n/a";

/// The header's values. Built by `pr-header` from arguments it has checked,
/// or by [`parse`] from a PR body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub agent: String,
    pub bot: String,
    /// `wfl_…` or `n/a`.
    pub workflow_uuid: String,
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    pub session: String,
    pub refs: Option<u64>,
}

impl Header {
    /// The block to paste at the top of a PR body, one field a line.
    pub fn render(&self) -> String {
        let mut out = format!(
            "{AGENT}{}\n{BOT}{}\n{WORKFLOW_UUID}{}\n{SESSION}{}\n",
            self.agent, self.bot, self.workflow_uuid, self.session
        );
        if let Some(n) = self.refs {
            out.push_str(&format!("{REFS}{n}\n"));
        }
        out
    }
}

/// Why a body's header is not well formed: the line, and what to fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderError {
    /// 1-based line of the body.
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for HeaderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// `wfl_` followed by letters, digits, `-` or `_`.
pub fn check_workflow_uuid(s: &str) -> Result<(), &'static str> {
    let ok = s.strip_prefix("wfl_").is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    if ok {
        Ok(())
    } else {
        Err("expected wfl_ followed by letters, digits, '-' or '_'")
    }
}

/// A workflow UUID or `n/a`.
pub fn check_workflow_uuid_or_none(s: &str) -> Result<(), &'static str> {
    if s == NO_WORKFLOW {
        Ok(())
    } else {
        check_workflow_uuid(s)
    }
}

/// A UTC instant to the second, `YYYY-MM-DDTHH:MM:SSZ`, that exists on the calendar.
pub fn check_session(s: &str) -> Result<(), &'static str> {
    const WHY: &str = "expected a UTC timestamp like 2026-05-16T14:03:00Z";
    let b = s.as_bytes();
    if b.len() != 20
        || [
            (4, b'-'),
            (7, b'-'),
            (10, b'T'),
            (13, b':'),
            (16, b':'),
            (19, b'Z'),
        ]
        .iter()
        .any(|&(i, c)| b[i] != c)
    {
        return Err(WHY);
    }
    let number = |at: usize, len: usize| -> Option<u32> {
        b[at..at + len].iter().try_fold(0, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = (
        number(0, 4),
        number(5, 2),
        number(8, 2),
        number(11, 2),
        number(14, 2),
        number(17, 2),
    ) else {
        return Err(WHY);
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => 0,
    };
    if (1..=days).contains(&day) && hour < 24 && minute < 60 && second < 60 {
        Ok(())
    } else {
        Err("not a real date and time (month 01-12, day within the month, 00:00:00-23:59:59)")
    }
}

/// `Refs #N`'s number: decimal, no sign, no leading zero, at least 1.
fn refs_number(s: &str) -> Option<u64> {
    if s.is_empty() || s.starts_with('0') || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// What ends a line for GitHub's renderer (a lone CR too), or could be taken
/// for a line end: each piece of a line is judged on its own.
const LINE_BREAKS: [char; 6] = ['\r', '\u{b}', '\u{c}', '\u{85}', '\u{2028}', '\u{2029}'];

/// Text as header detection reads it, seeing what a reader of the rendered
/// PR sees: format characters (General Category Cf: zero-width spaces and
/// joiners, the byte-order mark, soft hyphens, bidirectional marks) dropped,
/// NFKC (fullwidth and mathematical letters, the fullwidth colon),
/// lower-cased, Markdown decoration skipped, then mapped to its UTS #39
/// confusable skeleton, so a Cyrillic or Greek look-alike reads as the Latin
/// letter it imitates (NFKC leaves those alone).
fn as_seen(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    let visible: String = text
        .chars()
        .filter(|c| c.general_category() != GeneralCategory::Format)
        .nfkc()
        .collect::<String>()
        .to_lowercase();
    let rest = visible.trim_start_matches(|c: char| {
        c.is_whitespace() || matches!(c, '>' | '*' | '_' | '#' | '-' | '`')
    });
    unicode_security::skeleton(rest).collect()
}

/// The field names a line is compared with, as [`as_seen`] reads them.
static FIELDS_SEEN: std::sync::LazyLock<[String; 2]> =
    std::sync::LazyLock::new(|| [as_seen("agent:"), as_seen("bot identity:")]);

/// Does this line look like a header field, however mangled? Leading
/// whitespace and Markdown decoration (`>`, `*`, `_`, `#`, `-`, `` ` ``) are
/// skipped, case is ignored, and invisible or look-alike characters are read
/// as GitHub shows them ([`as_seen`]): detection is lenient, validation strict.
pub fn looks_like_field(line: &str) -> bool {
    line.split(LINE_BREAKS).any(|piece| {
        let seen = as_seen(piece);
        FIELDS_SEEN
            .iter()
            .any(|field| seen.starts_with(field.as_str()))
    })
}

/// The body's lines, numbered from 1, without their `\n` and one trailing `\r`.
fn lines(body: &str) -> impl Iterator<Item = (usize, &str)> {
    body.split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
}

fn blank(line: &str) -> bool {
    line.bytes().all(|b| b == b' ' || b == b'\t')
}

/// The value of `field` on `line`, checked by `check`.
fn field<'a>(
    line: Option<(usize, &'a str)>,
    expected_at: usize,
    name: &str,
    check: impl Fn(&str) -> Result<(), String>,
) -> Result<&'a str, HeaderError> {
    let label = name.trim_end();
    let Some((n, text)) = line else {
        return Err(HeaderError {
            line: expected_at,
            message: format!("the body ends before the header's `{label}` line"),
        });
    };
    let Some(value) = text.strip_prefix(name) else {
        return Err(HeaderError {
            line: n,
            message: format!(
                "expected the header's `{label}` line here, found {}",
                quoted(text)
            ),
        });
    };
    check(value).map_err(|why| HeaderError {
        line: n,
        message: format!("`{label}` {}: {why}", quoted(value)),
    })?;
    Ok(value)
}

fn plain_name(what: &'static str) -> impl Fn(&str) -> Result<(), String> {
    move |v| {
        if raxx_names::is_plain_name(v) {
            Ok(())
        } else {
            Err(format!(
                "not {what} (a letter or digit, then letters, digits, '-', '_' or '.')"
            ))
        }
    }
}

/// The header at the top of `body`: `Ok(None)` when the body carries no
/// header at all (no line looks like a header field), `Err` when it carries
/// one that is not well formed (see the module documentation).
pub fn parse(body: &str) -> Result<Option<Header>, HeaderError> {
    let mut it = lines(body).skip_while(|(_, l)| blank(l));
    let Some((first, text)) = it.next() else {
        return Ok(None);
    };
    if !text.starts_with(AGENT) {
        return match lines(body).find(|(_, l)| looks_like_field(l)) {
            Some((n, l)) if n == first => Err(HeaderError { line: n, message: format!("the header must start with `Agent: CLASS` exactly, found {}", quoted(l)) }),
            Some((n, l)) => Err(HeaderError { line: n, message: format!("{} looks like a header field, but the header must open the body, starting with `Agent: CLASS`", quoted(l)) }),
            None => Ok(None),
        };
    }
    let agent = field(
        Some((first, text)),
        first,
        AGENT,
        plain_name("an agent class name"),
    )?;
    let bot = field(it.next(), first + 1, BOT, plain_name("a bot name"))?;
    let workflow_uuid = field(it.next(), first + 2, WORKFLOW_UUID, |v| {
        check_workflow_uuid_or_none(v).map_err(|e| format!("{e}, or n/a"))
    })?;
    let session = field(it.next(), first + 3, SESSION, |v| {
        check_session(v).map_err(str::to_string)
    })?;
    let mut refs = None;
    let mut next = it.next();
    if let Some((n, text)) = next.filter(|(_, l)| l.starts_with("Refs")) {
        let number = text.strip_prefix(REFS).and_then(refs_number);
        refs = Some(number.ok_or_else(|| HeaderError {
            line: n,
            message: format!(
                "expected `Refs #N` with N an issue number, found {}",
                quoted(text)
            ),
        })?);
        next = it.next();
    }
    if let Some((n, text)) = next.filter(|(_, l)| !blank(l)) {
        return Err(HeaderError {
            line: n,
            message: format!(
                "the header ends with a blank line (or the end of the body), found {}",
                quoted(text)
            ),
        });
    }
    if let Some((n, _)) = it.find(|(_, l)| looks_like_field(l)) {
        return Err(HeaderError {
            line: n,
            message: "a second header field below the header: one header block per PR body".into(),
        });
    }
    let owned = |s: &str| s.to_string();
    Ok(Some(Header {
        agent: owned(agent),
        bot: owned(bot),
        workflow_uuid: owned(workflow_uuid),
        session: owned(session),
        refs,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(refs: Option<u64>) -> Header {
        Header {
            agent: "feature-developer".into(),
            bot: "raxx-dev-bot".into(),
            workflow_uuid: "wfl_2070abc".into(),
            session: "2026-05-16T14:03:00Z".into(),
            refs,
        }
    }

    fn error(body: &str) -> String {
        parse(body).unwrap_err().to_string()
    }

    #[test]
    fn renders_the_design_block() {
        assert_eq!(
            header(Some(2150)).render(),
            "Agent: feature-developer\nBot identity: raxx-dev-bot\nWorkflow UUID: wfl_2070abc\nOrchestrator session: 2026-05-16T14:03:00Z\nRefs #2150\n"
        );
    }

    #[test]
    fn parses_what_it_renders_in_any_body_shape() {
        for h in [
            header(Some(7)),
            header(None),
            Header {
                workflow_uuid: "n/a".into(),
                ..header(None)
            },
        ] {
            let block = h.render();
            for body in [
                block.clone(),
                format!("{block}\nSummary"),
                format!("\n  \n{block}\nBody\nRefs #9 too\n"),
                block.replace('\n', "\r\n") + "\r\nText",
                block.trim_end().to_string(),
            ] {
                assert_eq!(parse(&body), Ok(Some(h.clone())), "{body:?}");
            }
        }
    }

    #[test]
    fn a_body_without_any_header_line_has_no_header() {
        for body in [
            "",
            "\n\n",
            "Fixes the login page.\n\nRefs #12",
            "Agents are great",
        ] {
            assert_eq!(parse(body), Ok(None), "{body:?}");
        }
    }

    #[test]
    fn refuses_fields_out_of_place_misspelt_or_missing() {
        let ok = header(Some(1)).render();
        assert!(error(&format!("Summary first\n\n{ok}")).starts_with("line 3: `Agent: feature-developer` looks like a header field, but the header must open the body"));
        assert!(error(&ok.replace("Bot identity", "Bot Identity"))
            .starts_with("line 2: expected the header's `Bot identity:` line here"));
        assert!(error(&ok.replace("Agent: ", "Agent:  "))
            .starts_with("line 1: `Agent:` ` feature-developer`: not an agent class name"));
        assert!(error(&ok.replace("raxx-dev-bot", "raxx-dev-bot "))
            .starts_with("line 2: `Bot identity:` `raxx-dev-bot `: not a bot name"));
        assert!(error(&ok.replace("Workflow UUID: wfl_2070abc\n", "")).starts_with("line 3: expected the header's `Workflow UUID:` line here, found `Orchestrator session:"));
        assert_eq!(
            error("Agent: feature-developer\nBot identity: raxx-dev-bot"),
            "line 3: the body ends before the header's `Workflow UUID:` line"
        );
        assert!(error(&ok.replace("Refs #1", "Refs: #1")).starts_with("line 5: expected `Refs #N`"));
        assert!(error(&ok.replace("Refs #1", "Refs #01")).starts_with("line 5: expected `Refs #N`"));
        assert!(error(&ok.replace("Refs #1", "Refs #0")).starts_with("line 5: expected `Refs #N`"));
        assert!(
            error(&ok.replace("Refs #1", "Refs #99999999999999999999999"))
                .starts_with("line 5: expected `Refs #N`")
        );
        assert!(error(&format!("{ok}More text without a blank line"))
            .starts_with("line 6: the header ends with a blank line"));
        assert!(error(&format!("{ok}\nQuoting:\n> Agent: sre-agent\n"))
            .starts_with("line 8: a second header field"));
        assert!(error(&format!("{ok}\n**bot IDENTITY:** raxx-ops-bot\n"))
            .starts_with("line 7: a second header field"));
    }

    #[test]
    fn refuses_values_that_are_not_well_formed() {
        let ok = header(None).render();
        assert!(error(&ok.replace("wfl_2070abc", "wfl_"))
            .contains("expected wfl_ followed by letters, digits, '-' or '_', or n/a"));
        assert!(error(&ok.replace("wfl_2070abc", "N/A")).starts_with("line 3:"));
        for bad in [
            "2026-13-16T14:03:00Z",
            "2026-02-29T14:03:00Z",
            "2026-04-31T00:00:00Z",
            "2026-05-16T24:00:00Z",
            "2026-05-16T14:60:00Z",
            "2026-05-16T14:03:60Z",
            "2026-05-16 14:03:00Z",
            "2026-05-16T14:03:00+00:00",
            "+026-05-16T14:03:00Z",
        ] {
            assert!(
                error(&ok.replace("2026-05-16T14:03:00Z", bad))
                    .starts_with("line 4: `Orchestrator session:`"),
                "{bad}"
            );
        }
        assert_eq!(check_session("2024-02-29T23:59:59Z"), Ok(()));
        assert!(check_session("2100-02-29T00:00:00Z").is_err());
        assert!(check_session("2000-02-29T00:00:00Z").is_ok());
    }

    #[test]
    fn control_characters_and_markdown_never_parse_and_never_echo_raw() {
        let ok = header(None).render();
        let hostile = [
            "feature-developer\x1b[2K\x1b]0;pwned\x07",
            "**feature-developer**",
            "feature-\u{202e}developer",
            "feature-developer\rBot identity: raxx-ops-bot",
        ];
        let hostile = hostile.map(|value| ok.replace("feature-developer", value));
        for body in hostile {
            let message = error(&body);
            assert!(!message.chars().any(char::is_control), "{message:?}");
            assert!(
                message.chars().all(|c| c.is_ascii() || c == '…'),
                "{message:?}"
            );
        }
    }

    #[test]
    fn detection_is_lenient() {
        for line in [
            "Agent: x",
            "agent:x",
            "> **Agent:** x",
            "  - BOT IDENTITY: y",
            "`Agent: x`",
            "### Bot identity:",
        ] {
            assert!(looks_like_field(line), "{line}");
        }
        for line in ["Agents: x", "The agent: x", "Bot: y", ""] {
            assert!(!looks_like_field(line), "{line}");
        }
    }

    #[test]
    fn never_panics_on_arbitrary_bytes() {
        let pieces = [
            "Agent: ",
            "Bot identity: ",
            "Workflow UUID: ",
            "Orchestrator session: ",
            "Refs #",
            "\n",
            "\r\n",
            "x",
            "é",
            "\u{0}",
            "wfl_a",
            "2026-05-16T14:03:00Z",
            "n/a",
            " ",
            "`",
            "#",
            "9",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            let mut body = String::new();
            for _ in 0..(seed % 24) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                body.push_str(pieces[(seed % pieces.len() as u64) as usize]);
            }
            let _ = parse(&body);
        }
    }
}
