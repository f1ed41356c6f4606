//! `raxx-host smoke --repo OWNER/REPO`: the design's rollout smoke test, as a
//! command. For each agent class in the map, as its bot: mint a token (the
//! class's scope, narrowed to the repository), create an issue whose body is
//! the class's PR audit header, read its author back, close it, revoke the
//! token. An issue proves the same identity a pull request would (its author
//! is the token's bot) without a branch to push and with nothing left open.
//!
//! The issue requests are the host's own (`net::rest`), made with the token
//! the component minted: the component's reach stays the minter's requests.

use crate::audit::Event;
use crate::cli::args::agent_request;
use crate::cli::audit::event;
use crate::cli::context::settings;
use crate::cli::context::Context;
use crate::cli::output::print;
use crate::error::Error;
use crate::exit::Exit;
use crate::net::rest;
use crate::pr::header::Header;
use crate::sandbox::runtime::Resolved;
use crate::support::display::strip;
use crate::MintRequest;

#[derive(clap::Args)]
pub struct Args {
    /// The repository to open (and close) one issue per agent class in; every class's bot must reach it.
    #[arg(long, value_name = "OWNER/REPO")]
    pub repo: String,
}

/// One class's row of the table.
struct Row {
    class: String,
    bot: String,
    issue: String,
    author: String,
    /// `Ok(())`, or the exit code and why the row fails.
    outcome: Result<(), (Exit, String)>,
}

pub fn run(context: &Context, args: Args) -> Result<u8, Error> {
    let (owner, repo) = args
        .repo
        .split_once('/')
        .filter(|(o, r)| raxx_names::is_plain_name(o) && raxx_names::is_repository(r))
        .ok_or_else(|| {
            Error::new(
                Exit::Usage,
                format!(
                    "--repo {} is not OWNER/REPO",
                    crate::support::display::one_line(&args.repo)
                ),
            )
        })?;
    let classes: Vec<String> = {
        let mut classes: Vec<String> = context
            .runtime
            .bots(&context.policy)?
            .iter()
            .flat_map(|b| b.users.iter().filter_map(|u| u.agent.clone()))
            .collect();
        classes.sort();
        classes
    };
    let mut rows = Vec::new();
    for class in classes {
        let mut row = Row {
            class: class.clone(),
            bot: "-".into(),
            issue: "-".into(),
            author: "-".into(),
            outcome: Ok(()),
        };
        if let Err(failure) = smoke_one(context, &class, owner, repo, &mut row) {
            row.outcome = Err((failure.exit, failure.message));
        }
        rows.push(row);
    }
    print(&table(&rows))?;
    let mismatch = rows
        .iter()
        .any(|r| matches!(&r.outcome, Err((code, _)) if *code == Exit::Mismatch));
    let first_error = rows
        .iter()
        .find_map(|r| r.outcome.as_ref().err().map(|(code, _)| *code));
    let exit = if mismatch {
        Exit::Mismatch
    } else {
        first_error.unwrap_or(Exit::Ok)
    };
    Ok(exit.code())
}

/// The class's issue, as its bot; fills the row as it goes.
fn smoke_one(
    context: &Context,
    class: &str,
    owner: &str,
    repo: &str,
    row: &mut Row,
) -> Result<(), Error> {
    let request = MintRequest {
        repositories: vec![format!("{owner}/{repo}")],
        ..agent_request(class)
    };
    let resolved = context.resolve(&request)?;
    row.bot = resolved.bot.clone();
    let minted = context
        .mint("smoke", &resolved, None)
        .map_err(|f| f.failure)?;
    let result = issue_round_trip(context, &resolved, &minted.token.token, owner, repo, row);
    context.revoke(&minted.settings, &minted.token);
    result
}

/// Create, read back, close; each step audited with the issue it touched.
fn issue_round_trip(
    context: &Context,
    resolved: &Resolved,
    token: &str,
    owner: &str,
    repo: &str,
    row: &mut Row,
) -> Result<(), Error> {
    let settings = settings().map_err(|f| f.failure)?;
    let network = context
        .runtime
        .network()
        .map_err(|why| Error::new(Exit::Usage, why.to_string()))?;
    let api = settings
        .wit
        .github
        .api_url
        .trim_end_matches('/')
        .to_string();
    let user_agent = settings.wit.github.user_agent.clone();
    let header = Header {
        agent: row.class.clone(),
        bot: resolved.bot.clone(),
        workflow_uuid: "n/a".into(),
        session: crate::support::time::iso8601(crate::support::time::now()),
        refs: None,
    };
    let body = format!(
        "{}\nraxx-host smoke: this issue proves that {} acts as {}[bot]; it is closed at once.\n",
        header.render(),
        row.class,
        resolved.bot
    );
    let call = |step: &str,
                method: http::Method,
                path: String,
                json: Option<serde_json::Value>|
     -> Result<serde_json::Value, Error> {
        let answer = rest::github(
            network,
            method,
            &format!("{api}{path}"),
            token,
            &user_agent,
            json.as_ref(),
        )
        .map_err(|message| Error::new(Exit::Github, message))?;
        if !(200..300).contains(&answer.status) {
            let said = answer.json["message"]
                .as_str()
                .map(strip)
                .unwrap_or_default();
            return Err(Error::new(
                Exit::Github,
                format!("GitHub refused to {step} ({} {said})", answer.status),
            ));
        }
        Ok(answer.json)
    };
    let audited = |step: &str, subject: &str, outcome: Result<(), (i32, &str)>| {
        context.audit(Event {
            subject: Some(subject),
            outcome,
            ..event(step, resolved, None)
        })
    };
    let title = format!("raxx-host smoke test: {}", row.class);
    let created = call(
        "create an issue",
        http::Method::POST,
        format!("/repos/{owner}/{repo}/issues"),
        Some(serde_json::json!({ "title": title, "body": body })),
    );
    let number = match created {
        Ok(json) => json["number"]
            .as_u64()
            .ok_or_else(|| Error::new(Exit::Github, "GitHub's new issue has no number"))?,
        Err(f) => {
            audited(
                "smoke-issue-create",
                &format!("{owner}/{repo}"),
                Err((i32::from(f.exit.code()), &f.message)),
            )?;
            return Err(f);
        }
    };
    let subject = format!("{owner}/{repo}#{number}");
    row.issue = format!("#{number}");
    audited("smoke-issue-create", &subject, Ok(()))?;
    let read = call(
        "read the issue back",
        http::Method::GET,
        format!("/repos/{owner}/{repo}/issues/{number}"),
        None,
    );
    let author = read
        .as_ref()
        .ok()
        .and_then(|json| json["user"]["login"].as_str())
        .map(strip)
        .unwrap_or_default();
    row.author = if author.is_empty() {
        "?".into()
    } else {
        author.clone()
    };
    let expected = format!("{}[bot]", resolved.bot);
    let verdict = match &read {
        Err(f) => Err((f.exit, f.message.clone())),
        Ok(_) if !author.eq_ignore_ascii_case(&expected) => Err((
            Exit::Mismatch,
            format!(
                "authored by {author}, not {expected}: the secrets behind {} are another App's",
                resolved.bot
            ),
        )),
        Ok(_) => Ok(()),
    };
    audited(
        "smoke-issue-read",
        &format!("{subject} by {}", row.author),
        verdict
            .as_ref()
            .map(|_| ())
            .map_err(|(c, m)| (i32::from(c.code()), m.as_str())),
    )?;
    let closed = call(
        "close the issue",
        http::Method::PATCH,
        format!("/repos/{owner}/{repo}/issues/{number}"),
        Some(serde_json::json!({ "state": "closed" })),
    );
    audited(
        "smoke-issue-close",
        &subject,
        closed
            .as_ref()
            .map(|_| ())
            .map_err(|f| (i32::from(f.exit.code()), f.message.as_str())),
    )?;
    verdict.map_err(|(code, message)| Error::new(code, message))?;
    closed.map(|_| ())
}

fn table(rows: &[Row]) -> String {
    let cells: Vec<[String; 5]> = rows
        .iter()
        .map(|r| {
            let ok = match &r.outcome {
                Ok(()) => "ok".to_string(),
                Err((code, why)) if *code == Exit::Mismatch => format!("MISMATCH: {why}"),
                Err((code, why)) => format!("ERROR (exit {}): {why}", code.code()),
            };
            [
                r.class.clone(),
                r.bot.clone(),
                r.issue.clone(),
                r.author.clone(),
                crate::support::display::one_line(&ok),
            ]
        })
        .collect();
    crate::support::display::table(["AGENT CLASS", "BOT", "ISSUE", "AUTHOR", "OK"], &cells)
}
