//! Agent definition files (`.claude/agents/<class>.md`, or any Markdown
//! prompt file): finding them under a folder and reading which agent class
//! each one defines.
//!
//! The class: the `name:` of the file's YAML front matter (what Claude Code
//! routes by), else the file name without `.md`. When both are there they
//! must agree; a file where they differ is reported, never guessed at.
//! The front matter's YAML is parsed by `saphyr` (the loader over the parser
//! the component reads policies with); only finding its `---` lines is ours,
//! because `--write` needs their byte offsets to leave every other byte of
//! the file alone.

use crate::support::display::quoted;
use saphyr::{LoadableYamlNode, ScalarOwned, YamlOwned};
use std::path::{Path, PathBuf};

/// A file larger than this is not an agent definition.
pub const MAX_BYTES: u64 = 1 << 20;

/// Every `*.md` file under `dir`, in subfolders too, sorted by path. Names
/// starting with `.` are skipped (editor and VCS files), and so are links to
/// folders (no cycles); a link named `*.md` is listed as it is, for the
/// reader to refuse (`files::Folder` follows none).
pub fn find(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let entry = entry?;
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let path = entry.path();
            let kind = entry.file_type()?;
            if kind.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "md")
                && (kind.is_file() || kind.is_symlink())
            {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// What a definition's text says about itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Definition {
    pub class: String,
    /// Byte offset where the body starts (after the front matter, if any).
    pub body_start: usize,
}

/// Reads the class of the definition at `path` with text `text`; the error
/// is one line saying what to fix.
pub fn read(path: &Path, text: &str) -> Result<Definition, String> {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (named, body_start) = match front_matter(text)? {
        Some((yaml, body_start)) => (front_matter_name(yaml)?, body_start),
        None => (None, 0),
    };
    let class = match named {
        Some(name) if name != stem => {
            return Err(format!(
                "its front matter says name: {} but its file name says {}; make them agree",
                quoted(&name),
                quoted(&stem)
            ));
        }
        Some(name) => name,
        None => stem,
    };
    if !raxx_names::is_plain_name(&class) {
        return Err(format!("{} is not an agent class name (a letter or digit, then letters, digits, '-', '_' or '.')", quoted(&class)));
    }
    Ok(Definition { class, body_start })
}

/// The YAML between a first line `---` and the next `---` (or `...`) line,
/// and the byte offset just past that closing line.
fn front_matter(text: &str) -> Result<Option<(&str, usize)>, String> {
    let mut lines = text.split_inclusive('\n');
    let bare = |line: &str| {
        line.trim_end_matches('\n')
            .trim_end_matches('\r')
            .to_string()
    };
    match lines.next() {
        Some(first) if bare(first) == "---" => {
            let mut at = first.len();
            for line in lines {
                if matches!(bare(line).as_str(), "---" | "...") {
                    return Ok(Some((&text[first.len()..at], at + line.len())));
                }
                at += line.len();
            }
            Err("its front matter (the `---` on line 1) is never closed by a `---` line".into())
        }
        _ => Ok(None),
    }
}

/// The front matter's `name:`, when it has one.
fn front_matter_name(yaml: &str) -> Result<Option<String>, String> {
    let docs = YamlOwned::load_from_str(yaml).map_err(|e| {
        format!(
            "its front matter is not valid YAML: {}",
            quoted(&e.to_string())
        )
    })?;
    match docs.first() {
        None | Some(YamlOwned::Value(ScalarOwned::Null)) => Ok(None),
        Some(YamlOwned::Mapping(map)) => {
            match map.get(&YamlOwned::Value(ScalarOwned::String("name".into()))) {
                None => Ok(None),
                Some(YamlOwned::Value(ScalarOwned::String(name))) => Ok(Some(name.clone())),
                Some(_) => Err("its front matter's name: is not a string".into()),
            }
        }
        Some(_) => Err("its front matter is not a YAML mapping (key: value lines)".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(file: &str, text: &str) -> Result<Definition, String> {
        read(Path::new(file), text)
    }

    #[test]
    fn the_front_matter_name_wins_and_must_agree_with_the_file_name() {
        let text = "---\nname: feature-developer\ndescription: \"Builds: features\"\ntools: [Read, Bash]\n---\nBody\n";
        assert_eq!(
            class("a/feature-developer.md", text),
            Ok(Definition {
                class: "feature-developer".into(),
                body_start: text.len() - 5
            })
        );
        assert_eq!(
            class("sre-agent.md", "# SRE\n"),
            Ok(Definition {
                class: "sre-agent".into(),
                body_start: 0
            })
        );
        assert_eq!(
            class("sre-agent.md", "---\ndescription: x\n---\n")
                .unwrap()
                .class,
            "sre-agent"
        );
        let crlf = "---\r\nname: 'sre-agent'\r\n...\r\nBody";
        assert_eq!(
            class("sre-agent.md", crlf).unwrap().body_start,
            crlf.len() - 4
        );
        assert!(class("feature-dev.md", text)
            .unwrap_err()
            .contains("says name: `feature-developer` but its file name says `feature-dev`"));
    }

    #[test]
    fn bad_front_matter_and_names_are_reported() {
        assert!(class("x.md", "---\nname: x\n")
            .unwrap_err()
            .contains("never closed"));
        assert!(class("x.md", "---\nname: [x\n---\n")
            .unwrap_err()
            .contains("not valid YAML"));
        assert!(class("x.md", "---\nname: x\nname: x\n---\n")
            .unwrap_err()
            .contains("not valid YAML"));
        assert!(class("x.md", "---\nname: 7\n---\n")
            .unwrap_err()
            .contains("not a string"));
        assert!(class("x.md", "---\n- a\n---\n")
            .unwrap_err()
            .contains("not a YAML mapping"));
        assert!(class("my agent.md", "text")
            .unwrap_err()
            .contains("`my agent` is not an agent class name"));
        let e = class("x.md", "---\nname: \"x\\e[31m\"\n---\n").unwrap_err();
        assert!(!e.chars().any(char::is_control), "{e:?}");
    }
}
