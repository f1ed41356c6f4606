//! The demo: an embedded loopback world (fake Infisical + fake GitHub with
//! freshly generated App keys), and real mints through `raxx-host` and its
//! sandboxed component. Shows each step; never prints a secret (tokens are
//! shown as length, prefix and SHA-256 fingerprint).

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
    Sha256::digest(token.as_bytes()).iter().take(6).map(|b| format!("{b:02x}")).collect()
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
            .envs(std::env::vars().filter(|(k, _)| k == "PATH" || k == "HOME" || k.starts_with("RAXX_") || k == "XDG_CACHE_HOME"))
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
            println!("    stderr: {}", String::from_utf8_lossy(&out.stderr).trim());
            self.failures += 1;
            return None;
        }
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
        let token = json["token"].as_str().unwrap_or_default();
        let b = self.world.bot(bot);
        println!("    1. Infisical: Universal Auth login, then GET /api/v4/secrets?secretPath={} ({ENVIRONMENT})", folder(bot));
        println!("       pulled APP_ID={}, INSTALLATION_ID={}, PRIVATE_KEY_PEM (not shown)", b.app_id, b.installation_id);
        if let Some(claims) = self.world.github.accepted_claims().last() {
            let (iat, exp) = (claims["iat"].as_i64().unwrap_or(0), claims["exp"].as_i64().unwrap_or(0));
            println!("    2. App JWT (RS256) verified by GitHub with the App's public key: iss={} exp-iat={}s", claims["iss"], exp - iat);
        }
        let gh_new = &self.world.github.requests()[before_gh..];
        for r in gh_new {
            println!("    3. GitHub: {} {} (User-Agent: {})", r.method, r.path, r.header("user-agent").unwrap_or("-"));
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
        self.check(issued.last().map(|t| t.token.as_str()) == Some(token), "stdout holds exactly the token GitHub issued");
        Some(json)
    }
}

fn main() -> ExitCode {
    let Some(host) = host_binary() else {
        eprintln!("raxx-demo: raxx-host is not next to this binary; run scripts/demo (it builds both)");
        return ExitCode::from(1);
    };
    println!("raxx identity demo — loopback fakes of Infisical and GitHub, real host and component\n");
    let keygen = Instant::now();
    let world = World::start();
    println!("  generated 3 GitHub App keys (RSA-2048) in {} ms; private halves live only in the fake vault", keygen.elapsed().as_millis());
    println!("  fake Infisical: {}   fake GitHub: {}", world.infisical_url(), world.github_url());
    println!("  host: {}", host.display());
    let mut demo = Demo { host, world, failures: 0 };

    for bot in ["raxx-dev-bot", "raxx-ops-bot", "raxx-pm-bot"] {
        demo.mint(bot);
    }

    println!("\n  Session pattern: eval \"$(raxx-host mint raxx-ops-bot --export)\"");
    let (out, _) = demo.run_host(&["mint", "raxx-ops-bot", "--export"]);
    let line = String::from_utf8_lossy(&out.stdout).to_string();
    let shown = line.split('\'').next().unwrap_or_default();
    println!("    prints: {shown}'ghs_…' (one line, single-quoted)");
    demo.check(out.status.success() && line.starts_with("export GH_TOKEN='ghs_") && line.ends_with("'\n"), "--export prints one eval-able line");

    println!("\n  Agent routing: raxx-host spawn --agent card-groomer --workflow-uuid wfl_demo01 --refs 2150 -- sh -c '…'");
    let probe = "printf 'agent=%s bot=%s workflow=%s refs=%s token=%.4s… vault-secret=%s operator-token-leaked=%s' \"$RAXX_AGENT\" \"$RAXX_BOT\" \"$RAXX_WORKFLOW_UUID\" \"$RAXX_REFS\" \"$GH_TOKEN\" \"${INFISICAL_CLIENT_SECRET:-absent}\" \"$([ \"$GH_TOKEN\" = operator-pat ] && echo yes || echo no)\"";
    let (out, _) = demo.run_host_with(&[("GH_TOKEN", "operator-pat")], &["spawn", "--agent", "card-groomer", "--workflow-uuid", "wfl_demo01", "--refs", "2150", "--", "sh", "-c", probe]);
    let seen = String::from_utf8_lossy(&out.stdout).to_string();
    println!("    the agent sees: {seen}");
    let body = demo.world.github.token_requests().last().map(|(_, b)| b.to_string()).unwrap_or_default();
    println!("    token asked for (the card-groomer scope from policies/policy.yaml): {body}");
    let revoked = demo.world.github.issued_tokens().last().is_some_and(|t| t.revoked);
    demo.check(out.status.success() && seen.contains("bot=raxx-ops-bot") && seen.contains("vault-secret=absent") && seen.contains("operator-token-leaked=no"), "the agent runs as raxx-ops-bot with no operator or vault credentials");
    demo.check(revoked, "the token was revoked when the agent ended");

    println!("\n  Key rotation: a new key in Infisical and GitHub takes effect on the next mint (nothing cached)");
    let rotated = AppKey::generate();
    let dev = demo.world.bot("raxx-dev-bot").clone();
    demo.world.github.set_public_key(dev.app_id, rotated.public());
    demo.world.infisical.set_secret(ENVIRONMENT, &folder(dev.name), "PRIVATE_KEY_PEM", &rotated.pkcs8_pem());
    demo.mint("raxx-dev-bot");

    println!("\n  Failures are loud and precise:");
    demo.world.infisical.remove_folder(ENVIRONMENT, &folder("raxx-pm-bot"));
    for (args, expect) in [
        (&["mint", "raxx-pm-bot"][..], 2),
        (&["mint", "raxx-ghost-bot"][..], 4),
        (&["resolve", "intern"][..], 5),
        (&["mint", "--agent", "card-groomer", "--permission", "contents=write"][..], 4),
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
    println!("    $ raxx-host mint raxx-dev-bot   (installation removed on GitHub) → exit {}", out.status.code().unwrap_or(-1));
    println!("      {}", String::from_utf8_lossy(&out.stderr).trim());
    demo.check(out.status.code() == Some(3), "exit code 3");

    println!("\n  The fallback rule (mint failing: installation removed):");
    let (out, _) = demo.run_host_with(&[("GH_TOKEN", "operator-pat")], &["exec", "raxx-dev-bot", "--", "sh", "-c", "echo \"gh issue comment would run with GH_TOKEN=$GH_TOKEN\""]);
    println!("    $ raxx-host exec raxx-dev-bot -- gh issue comment …  → exit {}", out.status.code().unwrap_or(-1));
    println!("      {}", String::from_utf8_lossy(&out.stderr).trim());
    println!("      {}", String::from_utf8_lossy(&out.stdout).trim());
    demo.check(out.status.success() && String::from_utf8_lossy(&out.stderr).contains("WARNING"), "non-PR command: runs as the operator after one warning");
    let (out, _) = demo.run_host_with(&[("GH_TOKEN", "operator-pat")], &["exec", "--agent", "feature-developer", "--", "gh", "pr", "create", "--fill"]);
    println!("    $ raxx-host exec --agent feature-developer -- gh pr create --fill  → exit {}", out.status.code().unwrap_or(-1));
    println!("      {}", String::from_utf8_lossy(&out.stderr).trim());
    demo.check(out.status.code() == Some(3), "PR-authoring command: refused, never run as the operator");

    if demo.failures == 0 {
        println!("\ndemo: all steps behaved as expected");
        ExitCode::SUCCESS
    } else {
        println!("\ndemo: {} step(s) did not behave as expected", demo.failures);
        ExitCode::from(1)
    }
}
