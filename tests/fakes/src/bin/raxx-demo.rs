//! The demo: an embedded loopback world (fake Infisical + fake GitHub with
//! freshly generated App keys), and real mints through `raxx-host` and its
//! sandboxed component. Shows each step; never prints a secret (tokens are
//! shown as length, prefix and SHA-256 fingerprint).

#![forbid(unsafe_code)]

use raxx_fakes::world::{folder, ENVIRONMENT};
use raxx_fakes::{AppKey, World};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Output};
use std::time::Instant;

fn host_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let host = exe.parent()?.join("raxx-host");
    host.is_file().then_some(host)
}

fn fingerprint(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

struct Demo {
    host: PathBuf,
    world: World,
    failures: usize,
}

impl Demo {
    fn run_host(&self, args: &[&str]) -> (Output, u128) {
        self.run_host_with(&[], args)
    }

    fn run_host_with(&self, extra_env: &[(&str, &str)], args: &[&str]) -> (Output, u128) {
        let start = Instant::now();
        let output = Command::new(&self.host)
            .args(args)
            .env_clear()
            .envs(std::env::vars().filter(|(k, _)| {
                k == "PATH" || k == "HOME" || k.starts_with("RAXX_") || k == "XDG_CACHE_HOME"
            }))
            .envs(self.world.env())
            .envs(extra_env.iter().copied())
            .output()
            .expect("run raxx-host");
        (output, start.elapsed().as_millis())
    }

    fn check(&mut self, ok: bool, what: &str) {
        if ok {
            println!("    ✓ {what}");
        } else {
            println!("    ✗ {what}");
            self.failures += 1;
        }
    }

    fn mint(&mut self, bot: &str) -> Option<serde_json::Value> {
        let before_gh = self.world.github.requests().len();
        let (out, ms) = self.run_host(&["mint", bot, "--json"]);
        let code = out.status.code().unwrap_or(-1);
        println!("\n  $ raxx-host mint {bot} --json      (exit {code}, {ms} ms)");
        if code != 0 {
            println!(
                "    stderr: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
            self.failures += 1;
            return None;
        }
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
        let token = json["token"].as_str().unwrap_or_default();
        let b = self.world.bot(bot);
        println!("    1. Infisical: Universal Auth login, then GET /api/v4/secrets?secretPath={} ({ENVIRONMENT})", folder(bot));
        println!(
            "       pulled APP_ID={}, INSTALLATION_ID={}, PRIVATE_KEY_PEM (not shown)",
            b.app_id, b.installation_id
        );
        if let Some(claims) = self.world.github.accepted_claims().last() {
            let (iat, exp) = (
                claims["iat"].as_i64().unwrap_or(0),
                claims["exp"].as_i64().unwrap_or(0),
            );
            println!("    2. App JWT (RS256) verified by GitHub with the App's public key: iss={} exp-iat={}s", claims["iss"], exp - iat);
        }
        let gh_new = &self.world.github.requests()[before_gh..];
        for r in gh_new {
            println!(
                "    3. GitHub: {} {} (User-Agent: {})",
                r.method,
                r.path,
                r.header("user-agent").unwrap_or("-")
            );
        }
        println!(
            "    4. token: {}… ({} chars, sha256 {}), expires {}, permissions {}",
            &token[..token.len().min(4)],
            token.len(),
            fingerprint(token),
            json["expires_at"].as_str().unwrap_or("?"),
            json["permissions"]
        );
        let issued = self.world.github.issued_tokens();
        self.check(
            issued.last().map(|t| t.token.as_str()) == Some(token),
            "stdout holds exactly the token GitHub issued",
        );
        Some(json)
    }
}

/// A spawned agent outlives its token: 3-second tokens, an agent of 8 seconds.
fn session(demo: &mut Demo) {
    println!("\n  Sessions outlive a token (GitHub issuing 3-second tokens here): spawn --agent feature-developer -- agent.sh");
    demo.world
        .github
        .set_token_lifetime(std::time::Duration::from_secs(3));
    demo.world.serve_git();
    let work = tempfile::tempdir().expect("a scratch folder");
    let agent = format!(
        "cd {dir}; git clone -q {url}/raxx-app/TradeMasterAPI.git repo; seen=''; i=0; \
         while [ $i -lt 16 ]; do t=$(raxx-host token) || exit 3; seen=\"$seen $(printf %s \"$t\" | sha256sum | cut -c1-6)\"; sleep 0.5; i=$((i+1)); done; \
         echo \"token fingerprints over 8 s:$seen\"; cd repo && echo hi > agent.txt && git add agent.txt && git commit -qm 'from the agent' && git push -q origin HEAD:main && \
         git log -1 --format='pushed a commit by %an'",
        dir = work.path().display(),
        url = demo.world.github_url()
    );
    let before = demo.world.github.issued_tokens().len();
    let (out, _) = demo.run_host(&[
        "spawn",
        "--agent",
        "feature-developer",
        "--",
        "sh",
        "-c",
        &agent,
    ]);
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let distinct: std::collections::BTreeSet<&str> = line.split(' ').skip(5).collect();
        let extra = if line.starts_with("token fingerprints") {
            format!("  ({} distinct)", distinct.len())
        } else {
            String::new()
        };
        println!("    the agent: {line}{extra}");
    }
    let tokens: Vec<_> = demo
        .world
        .github
        .issued_tokens()
        .into_iter()
        .skip(before)
        .collect();
    println!("    the session minted {} tokens (the vault read again each time) and revoked every one when the agent ended", tokens.len());
    demo.check(
        out.status.success() && tokens.len() >= 3,
        "the agent kept a valid bot token across refreshes",
    );
    demo.check(
        demo.world
            .github
            .pushes()
            .iter()
            .any(|p| p.author == "raxx-dev-bot[bot]"),
        "git pushed over https as raxx-dev-bot[bot] through the session's credential helper",
    );
    demo.check(
        tokens.iter().all(|t| t.revoked),
        "every token of the session was revoked",
    );
    demo.world
        .github
        .set_token_lifetime(std::time::Duration::from_secs(3600));
}

/// `spawn --isolate`: the agent sees neither the operator's home nor raxx,
/// works in its own clone of the project, and its branch comes back.
fn isolation(demo: &mut Demo) {
    println!("\n  Isolation: spawn --isolate --agent sre-agent -- sh -c '…'   (bubblewrap)");
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    let work = tempfile::tempdir().expect("a scratch folder");
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(work.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !git(&["init", "-q"]) {
        demo.check(false, "git init of the demo's project");
        return;
    }
    let probe = "echo \"operator's home $OPERATOR_HOME: $(ls -A \"$OPERATOR_HOME\" 2>/dev/null | wc -l) entries visible; processes visible: $(ls /proc | grep -c '^[0-9]'); own home: $HOME; bot token works: $(test \"$(raxx-host token)\" = \"$GH_TOKEN\" && echo yes)\"; \
         git checkout -qb demo-fix && git commit -q --allow-empty -m 'agent commit'";
    let out = Command::new(&demo.host)
        .args([
            "spawn",
            "--isolate",
            "--agent",
            "sre-agent",
            "--",
            "env",
            &format!("OPERATOR_HOME={home}"),
            "sh",
            "-c",
            probe,
        ])
        .current_dir(work.path())
        .env_clear()
        .envs(
            std::env::vars().filter(|(k, _)| k == "PATH" || k == "HOME" || k.starts_with("RAXX_")),
        )
        .envs(demo.world.env())
        .output()
        .expect("run raxx-host");
    let said = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if out.status.code() == Some(7) {
        println!(
            "    bubblewrap cannot run here: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        return;
    }
    println!("    the agent: {said}");
    for line in String::from_utf8_lossy(&out.stderr).lines() {
        println!("    {line}");
    }
    demo.check(
        out.status.success()
            && said.contains(": 0 entries visible")
            && said.contains("bot token works: yes"),
        "the operator's home is not mounted, raxx is out of sight, the bot token works",
    );
    demo.check(
        git(&[
            "rev-parse",
            "-q",
            "--verify",
            "refs/remotes/raxx/sre-agent/demo-fix",
        ]),
        "the agent worked in its own clone; its branch came back as raxx/sre-agent/demo-fix",
    );
}

fn main() -> ExitCode {
    let Some(host) = host_binary() else {
        eprintln!(
            "raxx-demo: raxx-host is not next to this binary; run scripts/demo (it builds both)"
        );
        return ExitCode::from(1);
    };
    println!(
        "raxx identity demo — loopback fakes of Infisical and GitHub, real host and component\n"
    );
    let keygen = Instant::now();
    let world = World::start();
    println!("  generated 3 GitHub App keys (RSA-2048) in {} ms; private halves live only in the fake vault", keygen.elapsed().as_millis());
    println!(
        "  fake Infisical: {}   fake GitHub: {}",
        world.infisical_url(),
        world.github_url()
    );
    println!("  host: {}", host.display());
    let mut demo = Demo {
        host,
        world,
        failures: 0,
    };

    for bot in ["raxx-dev-bot", "raxx-ops-bot", "raxx-pm-bot"] {
        demo.mint(bot);
    }

    println!("\n  Session pattern: eval \"$(raxx-host mint raxx-ops-bot --export)\"");
    let (out, _) = demo.run_host(&["mint", "raxx-ops-bot", "--export"]);
    let line = String::from_utf8_lossy(&out.stdout).to_string();
    let shown = line.split('\'').next().unwrap_or_default();
    println!("    prints: {shown}'ghs_…' (one line, single-quoted)");
    demo.check(
        out.status.success() && line.starts_with("export GH_TOKEN='ghs_") && line.ends_with("'\n"),
        "--export prints one eval-able line",
    );

    println!("\n  Agent routing: raxx-host spawn --agent card-groomer --workflow-uuid wfl_demo01 --refs 2150 -- sh -c '…'");
    let probe = "printf 'agent=%s bot=%s workflow=%s refs=%s token=%.4s… vault-secret=%s operator-token-leaked=%s' \"$RAXX_AGENT\" \"$RAXX_BOT\" \"$RAXX_WORKFLOW_UUID\" \"$RAXX_REFS\" \"$GH_TOKEN\" \"${INFISICAL_CLIENT_SECRET:-absent}\" \"$([ \"$GH_TOKEN\" = operator-pat ] && echo yes || echo no)\"";
    let (out, _) = demo.run_host_with(
        &[("GH_TOKEN", "operator-pat")],
        &[
            "spawn",
            "--agent",
            "card-groomer",
            "--workflow-uuid",
            "wfl_demo01",
            "--refs",
            "2150",
            "--",
            "sh",
            "-c",
            probe,
        ],
    );
    let seen = String::from_utf8_lossy(&out.stdout).to_string();
    println!("    the agent sees: {seen}");
    let body = demo
        .world
        .github
        .token_requests()
        .last()
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    println!("    token asked for (the card-groomer scope from policies/policy.yaml): {body}");
    let revoked = demo
        .world
        .github
        .issued_tokens()
        .last()
        .is_some_and(|t| t.revoked);
    demo.check(
        out.status.success()
            && seen.contains("bot=raxx-ops-bot")
            && seen.contains("vault-secret=absent")
            && seen.contains("operator-token-leaked=no"),
        "the agent runs as raxx-ops-bot with no operator or vault credentials",
    );
    demo.check(revoked, "the token was revoked when the agent ended");

    session(&mut demo);
    isolation(&mut demo);

    println!("\n  Key rotation: a new key in Infisical and GitHub takes effect on the next mint (nothing cached)");
    let rotated = AppKey::generate();
    let dev = demo.world.bot("raxx-dev-bot").clone();
    demo.world
        .github
        .set_public_key(dev.app_id, rotated.public());
    demo.world.infisical.set_secret(
        ENVIRONMENT,
        &folder(dev.name),
        "PRIVATE_KEY_PEM",
        &rotated.pkcs8_pem(),
    );
    demo.mint("raxx-dev-bot");

    println!("\n  Failures are loud and precise:");
    demo.world
        .infisical
        .remove_folder(ENVIRONMENT, &folder("raxx-pm-bot"));
    for (args, expect) in [
        (&["mint", "raxx-pm-bot"][..], 2),
        (&["mint", "raxx-ghost-bot"][..], 4),
        (&["resolve", "intern"][..], 5),
        (
            &[
                "mint",
                "--agent",
                "card-groomer",
                "--permission",
                "contents=write",
            ][..],
            4,
        ),
        (&["mint", "raxx-dev-bot", "--bogus"][..], 64),
    ] {
        let (out, _) = demo.run_host(args);
        let code = out.status.code().unwrap_or(-1);
        println!("    $ raxx-host {}  → exit {code}", args.join(" "));
        println!("      {}", String::from_utf8_lossy(&out.stderr).trim());
        demo.check(code == expect, &format!("exit code {expect}"));
    }
    demo.world.github.remove_installation(dev.installation_id);
    let (out, _) = demo.run_host(&["mint", "raxx-dev-bot"]);
    println!(
        "    $ raxx-host mint raxx-dev-bot   (installation removed on GitHub) → exit {}",
        out.status.code().unwrap_or(-1)
    );
    println!("      {}", String::from_utf8_lossy(&out.stderr).trim());
    demo.check(out.status.code() == Some(3), "exit code 3");

    println!("\n  The fallback rule (mint failing: installation removed; default deny):");
    // A stand-in for the operator's gh, first on PATH: it says what it was run with.
    let tools = tempfile::tempdir().expect("a scratch folder");
    let gh = tools.path().join("gh");
    std::fs::write(
        &gh,
        "#!/bin/sh\necho \"gh $* ran as the operator (GH_TOKEN=$GH_TOKEN)\"\n",
    )
    .expect("write the stand-in gh");
    std::fs::set_permissions(&gh, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod the stand-in gh");
    let path = format!(
        "{}:{}",
        tools.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let with_gh = [("GH_TOKEN", "operator-pat"), ("PATH", path.as_str())];
    let (out, _) = demo.run_host_with(
        &with_gh,
        &[
            "exec",
            "raxx-dev-bot",
            "--",
            "gh",
            "issue",
            "comment",
            "2150",
            "--body",
            "done",
        ],
    );
    println!(
        "    $ raxx-host exec raxx-dev-bot -- gh issue comment 2150 --body done  → exit {}",
        out.status.code().unwrap_or(-1)
    );
    println!("      {}", String::from_utf8_lossy(&out.stderr).trim());
    println!("      {}", String::from_utf8_lossy(&out.stdout).trim());
    demo.check(
        out.status.success() && String::from_utf8_lossy(&out.stderr).contains("WARNING"),
        "an operator-safe command runs as the operator after one warning",
    );
    for args in [
        &["gh", "pr", "create", "--fill"][..],
        &["sh", "-c", "gh pr create --fill"],
    ] {
        let mut argv = vec!["exec", "--agent", "feature-developer", "--"];
        argv.extend_from_slice(args);
        let (out, _) = demo.run_host_with(&with_gh, &argv);
        println!(
            "    $ raxx-host exec --agent feature-developer -- {}  → exit {}",
            args.join(" "),
            out.status.code().unwrap_or(-1)
        );
        let said = String::from_utf8_lossy(&out.stderr).to_string();
        println!(
            "      …{}",
            said.trim().rsplit("; ").next().unwrap_or_default()
        );
        demo.check(
            out.status.code() == Some(3) && out.stdout.is_empty(),
            "refused: never run as the operator",
        );
    }

    if demo.failures == 0 {
        println!("\ndemo: all steps behaved as expected");
        ExitCode::SUCCESS
    } else {
        println!(
            "\ndemo: {} step(s) did not behave as expected",
            demo.failures
        );
        ExitCode::from(1)
    }
}
