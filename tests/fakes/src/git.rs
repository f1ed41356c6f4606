//! Git's smart HTTP protocol behind the fake GitHub, served by git's own
//! `git http-backend` (CGI) over bare repositories in a scratch folder, as
//! `https://github.com/OWNER/REPO.git` serves it: fetch and push need HTTP
//! basic auth with a valid installation token (user `x-access-token`).

use crate::server::{HttpRequest, HttpResponse, Reply};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// `(owner, repo)` when `path` is a smart-HTTP URL: `/OWNER/REPO.git/…`.
pub fn repository(path: &str) -> Option<(String, String)> {
    let mut parts = path.trim_start_matches('/').splitn(3, '/');
    let (owner, repo, _) = (parts.next()?, parts.next()?, parts.next()?);
    let repo = repo.strip_suffix(".git")?;
    (!owner.is_empty() && !repo.is_empty()).then(|| (owner.to_string(), repo.to_string()))
}

/// Creates the bare repository `root/OWNER/REPO.git` with one commit on `main`.
pub fn create(root: &Path, owner: &str, repo: &str) -> std::io::Result<PathBuf> {
    let bare = root.join(owner).join(format!("{repo}.git"));
    let git = |args: &[&str], dir: &Path| -> std::io::Result<()> {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()?;
        if out.status.success() {
            Ok(())
        } else {
            Err(std::io::Error::other(format!(
                "git {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            )))
        }
    };
    std::fs::create_dir_all(&bare)?;
    git(
        &["init", "--quiet", "--bare", "--initial-branch=main"],
        &bare,
    )?;
    let work = root.join(format!(".seed-{owner}-{repo}"));
    std::fs::create_dir_all(&work)?;
    git(&["init", "--quiet", "--initial-branch=main"], &work)?;
    std::fs::write(work.join("README.md"), format!("# {repo}\n"))?;
    git(&["add", "README.md"], &work)?;
    git(
        &[
            "-c",
            "user.name=Seed",
            "-c",
            "user.email=seed@example.com",
            "commit",
            "--quiet",
            "-m",
            "seed",
        ],
        &work,
    )?;
    git(
        &["push", "--quiet", bare.to_str().unwrap_or_default(), "main"],
        &work,
    )?;
    std::fs::remove_dir_all(&work)?;
    Ok(bare)
}

/// The token in `Authorization: Basic base64(user:token)`.
pub fn basic_password(req: &HttpRequest) -> Option<String> {
    use base64::Engine as _;
    let encoded = req.header("authorization")?.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    text.split_once(':')
        .map(|(_, password)| password.to_string())
}

/// What a 401 looks like to git: it then asks its credential helper.
pub fn challenge() -> Reply {
    Reply::Respond(
        HttpResponse::text(401, "Authentication required")
            .with_header("www-authenticate", "Basic realm=\"GitHub\""),
    )
}

/// Runs `git http-backend` for one request.
pub fn serve(root: &Path, req: &HttpRequest) -> Reply {
    let query: Vec<String> = req.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut cmd = Command::new("git");
    cmd.arg("http-backend")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("REQUEST_METHOD", &req.method)
        .env("PATH_INFO", &req.path)
        .env("QUERY_STRING", query.join("&"))
        .env("CONTENT_TYPE", req.header("content-type").unwrap_or(""))
        .env("CONTENT_LENGTH", req.body.len().to_string())
        .env("REMOTE_USER", "x-access-token")
        .env("REMOTE_ADDR", "127.0.0.1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(protocol) = req.header("git-protocol") {
        cmd.env("GIT_PROTOCOL", protocol);
    }
    if let Some(encoding) = req.header("content-encoding") {
        cmd.env("HTTP_CONTENT_ENCODING", encoding);
    }
    let Ok(mut child) = cmd.spawn() else {
        return Reply::Respond(HttpResponse::text(500, "cannot run git http-backend"));
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(&req.body);
    }
    let Ok(out) = child.wait_with_output() else {
        return Reply::Respond(HttpResponse::text(500, "git http-backend failed"));
    };
    cgi_response(&out.stdout)
}

/// A CGI answer (headers, a blank line, the body) as an HTTP response.
fn cgi_response(out: &[u8]) -> Reply {
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4))
        .or_else(|| out.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)));
    let Some((at, gap)) = split else {
        return Reply::Respond(HttpResponse::text(
            500,
            "git http-backend answered no headers",
        ));
    };
    let mut response = HttpResponse {
        status: 200,
        headers: Vec::new(),
        body: out[at + gap..].to_vec(),
    };
    for line in String::from_utf8_lossy(&out[..at]).lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            response.status = value
                .split_whitespace()
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or(500);
        } else {
            response
                .headers
                .push((name.to_ascii_lowercase(), value.to_string()));
        }
    }
    Reply::Respond(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smart_http_paths_name_their_repository() {
        assert_eq!(
            repository("/raxx-app/TradeMasterAPI.git/info/refs"),
            Some(("raxx-app".into(), "TradeMasterAPI".into()))
        );
        assert_eq!(
            repository("/raxx-app/TradeMasterAPI.git/git-receive-pack"),
            Some(("raxx-app".into(), "TradeMasterAPI".into()))
        );
        assert_eq!(repository("/repos/raxx-app/TradeMasterAPI"), None);
        assert_eq!(repository("/app/installations/1/access_tokens"), None);
    }
}
