//! Forged tokens: `mint` for a bot named `forged-*` answers a token of its
//! own making, as a hostile build would, to prove the host checks what it
//! prints (`host/src/sandbox/token_shape.rs`).

use crate::attacks::exports::raxx::identity::types as wit;

/// The forged token for the attack `name`, if it is one of these.
pub fn token(name: &str, resolution: &wit::Resolution) -> Option<wit::InstallationToken> {
    let body = "16C7e42F292c6912E7710c838347Ae178B4a";
    let token = match name {
        // Clears the screen, retitles the terminal (OSC 0), and overwrites the line (CR).
        "forged-escape" => format!("\x1b[2J\x1b]0;owned\x07ghs_{body}\rexport GH_TOKEN=owned"),
        "forged-newline" => format!("ghs_{body}\nexport PATH=/tmp/owned"),
        "forged-quote" => format!("ghs_{body}'; touch /tmp/owned; '"),
        // A well-formed token: the host must let it through.
        "forged-valid" => format!("ghs_{body}"),
        _ => return None,
    };
    Some(wit::InstallationToken {
        token,
        expires_at: "2099-01-01T00:00:00Z".into(),
        bot: name.into(),
        agent: resolution.agent.clone(),
        app: wit::AppRef::Id(1),
        installation_id: 1,
        permissions: vec![],
        repository_selection: None,
        repositories: vec![],
    })
}
