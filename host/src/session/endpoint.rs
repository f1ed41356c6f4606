//! The session endpoint: a Unix socket in the session's private (0700)
//! folder that answers one question, "the current token", and only to
//! processes of this user (checked on every connection with `SO_PEERCRED`,
//! on top of the folder's permissions). It holds no secret at rest and is
//! removed when the session ends. A request must arrive whole within 5 s of
//! its connection, however it is paced, and only a whole request occupies one
//! of the 32 answering threads.
//!
//! Protocol: the client sends `token\n`; the answer is one JSON line, either
//! `{"token", "expires_at", "bot", "git_protocol", "git_host"}` or
//! `{"error", "exit_code"}`.

use super::TokenSource;
use crate::error::Error;
use crate::exit::Exit;
use rustix::event::{PollFd, PollFlags, Timespec};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The variable that tells a child where its session's endpoint is.
pub const SOCKET_VAR: &str = "RAXX_SESSION_SOCKET";

/// What the endpoint tells about the session besides the token.
#[derive(Clone, Debug)]
pub struct About {
    pub bot: String,
    /// The git remote scheme and host the bot's tokens are for (`https`, `github.com`).
    pub git_protocol: String,
    pub git_host: String,
}

/// What a client learns: the current token and where it is good for.
#[derive(Clone, Debug)]
pub struct Answer {
    pub token: String,
    pub expires_at: String,
    pub about: About,
}

/// A serving endpoint; stops and removes its socket when dropped.
pub struct Endpoint {
    path: PathBuf,
    /// Writing to it wakes the accept loop (which polls it beside the
    /// listener): stopping never depends on the socket's path, which the
    /// agent may have moved or removed.
    wake: UnixStream,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Connections answered at once; a complete request beyond them is closed
/// unanswered (an agent opening thousands must not make raxx start thousands
/// of threads).
const MAX_ANSWERING: usize = 32;

/// Connections whose request is still being read; more are closed unread.
/// They cost no thread: the accept loop reads them all.
const MAX_READING: usize = 256;

/// Connections accepted per round of the loop, between two looks at the
/// stop signal.
const MAX_ACCEPT: usize = 64;

/// How long a connection has to send its whole request, from its accept:
/// a slow client is cut off then, however it paces its bytes.
const REQUEST_TIME: Duration = Duration::from_secs(5);

/// The longest request read (`token\n` and some slack).
const MAX_REQUEST: usize = 64;

/// A connection whose request is being read.
struct Reading {
    conn: UnixStream,
    deadline: Instant,
    request: Vec<u8>,
}

impl Endpoint {
    /// Serves `source` on a new socket at `path` (inside a private folder).
    ///
    /// One thread accepts connections and reads every request (non-blocking,
    /// each within [`REQUEST_TIME`] of its accept); only a complete request
    /// gets a thread of its own to answer it. A slow client (a byte at a
    /// time) so holds no answering slot, and cannot make the endpoint wait.
    pub fn serve(path: &Path, source: Arc<TokenSource>, about: About) -> std::io::Result<Endpoint> {
        let listener = UnixListener::bind(path)?;
        listener.set_nonblocking(true)?;
        let (wake, woken) = UnixStream::pair()?;
        let answering = Arc::new(AtomicUsize::new(0));
        let thread = std::thread::Builder::new()
            .name("raxx-endpoint".into())
            .spawn(move || {
                let mut reading: Vec<Reading> = Vec::new();
                loop {
                    let now = Instant::now();
                    let wait = reading
                        .iter()
                        .map(|r| r.deadline.saturating_duration_since(now))
                        .min();
                    let timeout = wait.map(|d| Timespec {
                        tv_sec: d.as_secs() as _,
                        tv_nsec: d.subsec_nanos() as _,
                    });
                    let (listening, stopped, ready) = {
                        let mut fds = vec![
                            PollFd::new(&listener, PollFlags::IN),
                            PollFd::new(&woken, PollFlags::IN),
                        ];
                        fds.extend(reading.iter().map(|r| PollFd::new(&r.conn, PollFlags::IN)));
                        if rustix::event::poll(&mut fds, timeout.as_ref()).is_err() {
                            return;
                        }
                        let ready: Vec<bool> =
                            fds[2..].iter().map(|f| !f.revents().is_empty()).collect();
                        (
                            !fds[0].revents().is_empty(),
                            !fds[1].revents().is_empty(),
                            ready,
                        )
                    };
                    if stopped {
                        return;
                    }
                    // Requests that arrived (or ended, or ran out of time).
                    let now = Instant::now();
                    let mut still = Vec::with_capacity(reading.len());
                    for (mut r, ready) in reading.drain(..).zip(ready) {
                        let progress = if ready {
                            read_some(&mut r)
                        } else {
                            Progress::More
                        };
                        match progress {
                            Progress::More if now < r.deadline => still.push(r),
                            Progress::More => refuse(
                                &r.conn,
                                format!(
                                    "no complete request within {} s; send 'token'",
                                    REQUEST_TIME.as_secs()
                                ),
                                Exit::Usage,
                            ),
                            Progress::Done if trimmed(&r.request) == b"token" => {
                                if answering.fetch_add(1, Ordering::SeqCst) >= MAX_ANSWERING {
                                    answering.fetch_sub(1, Ordering::SeqCst);
                                    continue;
                                }
                                let (source, about, done) =
                                    (source.clone(), about.clone(), answering.clone());
                                let conn = r.conn;
                                let spawned = std::thread::Builder::new()
                                    .name("raxx-answer".into())
                                    .spawn(move || {
                                        answer(conn, &source, &about);
                                        done.fetch_sub(1, Ordering::SeqCst);
                                    });
                                if spawned.is_err() {
                                    answering.fetch_sub(1, Ordering::SeqCst);
                                }
                            }
                            Progress::Done => {
                                refuse(&r.conn, "unknown request; send 'token'".into(), Exit::Usage)
                            }
                        }
                    }
                    reading = still;
                    if listening {
                        // At most a round's worth: a flood of connections must not keep the loop from its stop check.
                        for _ in 0..MAX_ACCEPT {
                            let Ok((conn, _)) = listener.accept() else {
                                break;
                            };
                            if !from_this_user(&conn)
                                || reading.len() >= MAX_READING
                                || conn.set_nonblocking(true).is_err()
                            {
                                continue;
                            }
                            reading.push(Reading {
                                conn,
                                deadline: Instant::now() + REQUEST_TIME,
                                request: Vec::new(),
                            });
                        }
                    }
                }
            })?;
        Ok(Endpoint {
            path: path.to_path_buf(),
            wake,
            thread: Some(thread),
        })
    }
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        let _ = (&self.wake).write_all(b"x");
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Whether a request has been read whole.
enum Progress {
    More,
    Done,
}

/// Reads what a (non-blocking) connection has sent: the request is done at
/// its newline, at the end of the stream, or at [`MAX_REQUEST`] bytes.
fn read_some(r: &mut Reading) -> Progress {
    let mut buf = [0u8; MAX_REQUEST];
    let room = MAX_REQUEST - r.request.len();
    match (&r.conn).read(&mut buf[..room]) {
        Ok(0) => Progress::Done,
        Ok(n) => {
            r.request.extend_from_slice(&buf[..n]);
            if r.request.contains(&b'\n') || r.request.len() >= MAX_REQUEST {
                Progress::Done
            } else {
                Progress::More
            }
        }
        Err(e)
            if e.kind() == std::io::ErrorKind::WouldBlock
                || e.kind() == std::io::ErrorKind::Interrupted =>
        {
            Progress::More
        }
        Err(_) => Progress::Done,
    }
}

/// The request up to its first newline, without surrounding white space.
fn trimmed(request: &[u8]) -> &[u8] {
    let line = request.split(|b| *b == b'\n').next().unwrap_or_default();
    line.trim_ascii()
}

/// The uid of the process at the other end of `conn`.
fn peer_uid(conn: &UnixStream) -> Option<u32> {
    rustix::net::sockopt::socket_peercred(conn)
        .ok()
        .map(|cred| cred.uid.as_raw())
}

/// Whether `conn` comes from this user; a stranger is told so and closed,
/// before anything is read.
fn from_this_user(conn: &UnixStream) -> bool {
    let me = rustix::process::geteuid().as_raw();
    match peer_uid(conn) {
        Some(uid) if uid == me => true,
        other => {
            let who = other
                .map(|u| format!("uid {u}"))
                .unwrap_or_else(|| "an unknown peer".into());
            refuse(
                conn,
                format!("refused: {who} is not the session's user"),
                Exit::NoSession,
            );
            false
        }
    }
}

/// Sends one JSON line; never waits on a client that does not read.
fn reply(mut conn: &UnixStream, json: serde_json::Value) {
    let _ = conn.set_write_timeout(Some(Duration::from_secs(2)));
    let _ = conn.write_all(format!("{json}\n").as_bytes());
}

/// Sends a refusal without blocking (it fits the socket's buffer).
fn refuse(conn: &UnixStream, message: String, exit: Exit) {
    reply(
        conn,
        serde_json::json!({ "error": message, "exit_code": exit.code() }),
    );
}

/// Answers a complete `token` request (on its own thread: the source may
/// wait for a refresh under way).
fn answer(conn: UnixStream, source: &TokenSource, about: &About) {
    let _ = conn.set_nonblocking(false);
    let json = match source.token() {
        Ok(t) => serde_json::json!({
            "token": t.token,
            "expires_at": t.expires_at,
            "bot": about.bot,
            "git_protocol": about.git_protocol,
            "git_host": about.git_host,
        }),
        Err(e) => serde_json::json!({ "error": e.message, "exit_code": e.exit.code() }),
    };
    reply(&conn, json);
}

fn no_session(message: String) -> Error {
    Error::new(Exit::NoSession, message)
}

/// Asks the endpoint of the session this process runs in (`RAXX_SESSION_SOCKET`).
pub fn ask_from_env() -> Result<Answer, Error> {
    match std::env::var_os(SOCKET_VAR).filter(|v| !v.is_empty()) {
        Some(path) => ask(Path::new(&path)),
        None => Err(no_session(format!(
            "not inside a raxx session ({SOCKET_VAR} is not set): run this in an agent started by raxx-host spawn or in a command run by raxx-host exec"
        ))),
    }
}

/// Asks the endpoint at `path` for the current token.
pub fn ask(path: &Path) -> Result<Answer, Error> {
    let conn = UnixStream::connect(path).map_err(|e| {
        no_session(format!(
            "the raxx session at {} has ended or cannot be reached ({e})",
            path.display()
        ))
    })?;
    ask_on(conn, path)
}

/// Sends the request on `conn` and reads the answer. The endpoint refuses a
/// stranger before reading anything, so the request may find the connection
/// already closed (EPIPE): the refusal waiting to be read is still the
/// answer, and only without one is the failed write reported.
fn ask_on(mut conn: UnixStream, path: &Path) -> Result<Answer, Error> {
    // The session may wait up to 10 s for a refresh under way.
    let _ = conn.set_read_timeout(Some(Duration::from_secs(20)));
    let sent = conn.write_all(b"token\n");
    let mut line = String::new();
    let read = BufReader::new(conn.take(1 << 16)).read_line(&mut line);
    match (sent, read) {
        (_, Ok(n)) if n > 0 => {}
        (Err(e), _) => {
            return Err(no_session(format!(
                "the raxx session at {} did not take the request ({e})",
                path.display()
            )))
        }
        (Ok(()), Err(e)) => {
            return Err(no_session(format!(
                "the raxx session at {} did not answer ({e})",
                path.display()
            )))
        }
        (Ok(()), Ok(_)) => {
            return Err(no_session(format!(
                "the raxx session at {} closed without answering",
                path.display()
            )))
        }
    }
    let json: serde_json::Value = serde_json::from_str(&line).map_err(|_| {
        no_session(format!(
            "the raxx session at {} answered something else",
            path.display()
        ))
    })?;
    if let Some(error) = json["error"].as_str() {
        let exit = json["exit_code"]
            .as_u64()
            .and_then(|c| u8::try_from(c).ok())
            .and_then(Exit::from_code)
            .unwrap_or(Exit::NoSession);
        return Err(Error::new(exit, crate::support::display::one_line(error)));
    }
    let field = |k: &str| json[k].as_str().map(str::to_string);
    match (
        field("token"),
        field("expires_at"),
        field("bot"),
        field("git_protocol"),
        field("git_host"),
    ) {
        (Some(token), Some(expires_at), Some(bot), Some(git_protocol), Some(git_host)) => {
            Ok(Answer {
                token,
                expires_at,
                about: About {
                    bot,
                    git_protocol,
                    git_host,
                },
            })
        }
        _ => Err(no_session(format!(
            "the raxx session at {} answered without a token",
            path.display()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_sent_before_the_request_was_read_is_the_answer() {
        let (client, server) = UnixStream::pair().unwrap();
        (&server)
            .write_all(
                b"{\"error\":\"refused: uid 61001 is not the session's user\",\"exit_code\":8}\n",
            )
            .unwrap();
        drop(server);
        let e = ask_on(client, Path::new("/s")).unwrap_err();
        assert_eq!(
            (e.exit, e.message.as_str()),
            (
                Exit::NoSession,
                "refused: uid 61001 is not the session's user"
            )
        );
    }

    #[test]
    fn a_session_that_closes_without_answering_says_so() {
        let (client, server) = UnixStream::pair().unwrap();
        drop(server);
        let e = ask_on(client, Path::new("/s")).unwrap_err();
        assert_eq!(e.exit, Exit::NoSession);
        assert!(
            e.message
                .contains("the raxx session at /s did not take the request"),
            "{}",
            e.message
        );
    }
}
