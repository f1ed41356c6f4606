//! A strict YAML subset for policy files, with a line number on every node so
//! errors can say exactly where to look.
//!
//! Supported: block mappings, block sequences of scalars, flow sequences of
//! scalars (`[a, b]`), empty flow mappings (`{}`), plain and quoted scalars,
//! `#` comments, one leading `---`. Refused with a line number: tabs in
//! indentation, anchors, aliases, tags, block scalars, multiple documents,
//! duplicate keys, sequences of mappings.

/// A parsed value and the (1-based) line it starts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub line: usize,
    pub value: Value,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// Keys keep their own line numbers, in document order.
    Map(Vec<(String, usize, Node)>),
    List(Vec<Node>),
    Scalar(String),
    /// `key:` with nothing under it.
    Null,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    pub line: usize,
    pub message: String,
}

struct Line<'a> {
    number: usize,
    indent: usize,
    text: &'a str,
}

fn err<T>(line: usize, message: impl Into<String>) -> Result<T, YamlError> {
    Err(YamlError { line, message: message.into() })
}

/// Removes a trailing `# comment` that is outside quotes.
fn strip_comment(text: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut prev_space = true;
    for (i, c) in text.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '#' && prev_space => return &text[..i],
            None => {}
        }
        prev_space = c == ' ';
    }
    text
}

fn lines(src: &str) -> Result<Vec<Line<'_>>, YamlError> {
    let mut out = Vec::new();
    let mut seen_content = false;
    for (i, raw) in src.lines().enumerate() {
        let number = i + 1;
        let without_comment = strip_comment(raw.trim_end_matches('\r')).trim_end();
        let text = without_comment.trim_start_matches(' ');
        if text.is_empty() {
            continue;
        }
        let indent = without_comment.len() - text.len();
        if text.starts_with('\t') {
            return err(number, "indent with spaces, not tabs");
        }
        if text == "---" && indent == 0 {
            if seen_content {
                return err(number, "only one YAML document per file is supported");
            }
            continue;
        }
        if text == "..." {
            continue;
        }
        seen_content = true;
        out.push(Line { number, indent, text });
    }
    Ok(out)
}

/// Parses a document; an empty document is an empty mapping.
pub fn parse(src: &str) -> Result<Node, YamlError> {
    let lines = lines(src)?;
    if lines.is_empty() {
        return Ok(Node { line: 1, value: Value::Map(Vec::new()) });
    }
    let mut pos = 0;
    let node = block(&lines, &mut pos, lines[0].indent)?;
    if let Some(extra) = lines.get(pos) {
        return err(extra.number, "expected a list item ('- value') or consistent indentation here");
    }
    Ok(node)
}

fn block(lines: &[Line<'_>], pos: &mut usize, indent: usize) -> Result<Node, YamlError> {
    let first = &lines[*pos];
    if first.text == "-" || first.text.starts_with("- ") {
        list(lines, pos, indent)
    } else {
        map(lines, pos, indent)
    }
}

fn list(lines: &[Line<'_>], pos: &mut usize, indent: usize) -> Result<Node, YamlError> {
    let start = lines[*pos].number;
    let mut items = Vec::new();
    while let Some(line) = lines.get(*pos) {
        if line.indent < indent {
            break;
        }
        if line.indent > indent {
            return err(line.number, "unexpected indentation inside a list");
        }
        // A non-item at the same indentation ends the list (a sibling key of its parent).
        let Some(rest) = line.text.strip_prefix('-') else { break };
        let rest = rest.trim();
        if rest.is_empty() {
            return err(line.number, "empty list item");
        }
        if split_key(rest).is_some() {
            return err(line.number, "lists of mappings are not supported here; list plain values");
        }
        items.push(Node { line: line.number, value: inline(rest, line.number)? });
        *pos += 1;
    }
    Ok(Node { line: start, value: Value::List(items) })
}

/// `key: rest` → (key, rest), for an unquoted or quoted key.
fn split_key(text: &str) -> Option<(String, &str)> {
    if let Some(q) = text.chars().next().filter(|c| *c == '"' || *c == '\'') {
        let end = text[1..].find(q)? + 1;
        let after = text[end + 1..].strip_prefix(':')?;
        if !(after.is_empty() || after.starts_with(' ')) {
            return None;
        }
        return Some((text[1..end].to_string(), after.trim()));
    }
    let idx = text.find(": ").or_else(|| text.ends_with(':').then(|| text.len() - 1))?;
    let key = text[..idx].trim();
    if key.is_empty() || key.starts_with('[') || key.starts_with('{') {
        return None;
    }
    Some((key.to_string(), text[idx + 1..].trim()))
}

fn map(lines: &[Line<'_>], pos: &mut usize, indent: usize) -> Result<Node, YamlError> {
    let start = lines[*pos].number;
    let mut entries: Vec<(String, usize, Node)> = Vec::new();
    while let Some(line) = lines.get(*pos) {
        if line.indent < indent {
            break;
        }
        if line.indent > indent {
            return err(line.number, "unexpected indentation (check that this line lines up with its siblings)");
        }
        let Some((key, rest)) = split_key(line.text) else {
            return err(line.number, format!("expected 'key: value', found {:?}", crate::names::one_line(line.text, 40)));
        };
        if let Some((_, first_line, _)) = entries.iter().find(|(k, _, _)| *k == key) {
            return err(line.number, format!("duplicate key '{key}' (first on line {first_line})"));
        }
        *pos += 1;
        let value = if !rest.is_empty() {
            Node { line: line.number, value: inline(rest, line.number)? }
        } else {
            match lines.get(*pos) {
                Some(next) if next.indent > indent => block(lines, pos, next.indent)?,
                // A list may sit at the key's own indentation (common YAML style).
                Some(next) if next.indent == indent && (next.text == "-" || next.text.starts_with("- ")) => list(lines, pos, indent)?,
                _ => Node { line: line.number, value: Value::Null },
            }
        };
        entries.push((key, line.number, value));
    }
    Ok(Node { line: start, value: Value::Map(entries) })
}

fn inline(text: &str, line: usize) -> Result<Value, YamlError> {
    match text.chars().next() {
        Some('&') | Some('*') => err(line, "anchors and aliases are not supported"),
        Some('!') => err(line, "tags are not supported"),
        Some('|') | Some('>') => err(line, "block scalars are not supported; write the value on one line"),
        Some('{') => {
            if text.trim() == "{}" {
                Ok(Value::Map(Vec::new()))
            } else {
                err(line, "flow mappings are not supported; write one 'key: value' per line")
            }
        }
        Some('[') => {
            let inner = text.strip_prefix('[').and_then(|t| t.strip_suffix(']'));
            let Some(inner) = inner else { return err(line, "unclosed '[' list") };
            let mut items = Vec::new();
            for part in split_flow(inner) {
                let part = part.trim();
                if part.is_empty() {
                    continue;
                }
                if part.starts_with('[') || part.starts_with('{') {
                    return err(line, "nested lists are not supported");
                }
                items.push(Node { line, value: Value::Scalar(scalar(part, line)?) });
            }
            Ok(Value::List(items))
        }
        _ => Ok(Value::Scalar(scalar(text, line)?)),
    }
}

/// Splits on commas outside quotes.
fn split_flow(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut quote = None;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == ',' => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            None => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn scalar(text: &str, line: usize) -> Result<String, YamlError> {
    let text = text.trim();
    if let Some(inner) = text.strip_prefix('\'') {
        let Some(inner) = inner.strip_suffix('\'') else { return err(line, "unclosed single quote") };
        return Ok(inner.replace("''", "'"));
    }
    if let Some(inner) = text.strip_prefix('"') {
        let Some(inner) = inner.strip_suffix('"') else { return err(line, "unclosed double quote") };
        return Ok(inner.replace("\\\"", "\"").replace("\\\\", "\\"));
    }
    Ok(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar_at<'a>(node: &'a Node, path: &[&str]) -> &'a str {
        let mut n = node;
        for key in path {
            let Value::Map(entries) = &n.value else { panic!("not a map at {key}") };
            n = &entries.iter().find(|(k, _, _)| k == key).unwrap().2;
        }
        match &n.value {
            Value::Scalar(s) => s,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn parses_nested_maps_lists_and_comments_with_lines() {
        let doc = "---\n# top\nversion: 1\nbots:\n  raxx-dev-bot:   # trailing\n    permissions:\n      contents: write\n    repositories: [app, \"docs\"]\n    extra:\n      - 'gh pr create'\n      - git push # no\n";
        let node = parse(doc).unwrap();
        assert_eq!(scalar_at(&node, &["version"]), "1");
        assert_eq!(scalar_at(&node, &["bots", "raxx-dev-bot", "permissions", "contents"]), "write");
        let Value::Map(top) = &node.value else { panic!() };
        assert_eq!(top[1].1, 4, "line of 'bots'");
        let Value::Map(bots) = &top[1].2.value else { panic!() };
        let Value::Map(dev) = &bots[0].2.value else { panic!() };
        assert_eq!(dev[1].2.value, Value::List(vec![Node { line: 8, value: Value::Scalar("app".into()) }, Node { line: 8, value: Value::Scalar("docs".into()) }]));
        let Value::List(extra) = &dev[2].2.value else { panic!() };
        assert_eq!(extra[1], Node { line: 11, value: Value::Scalar("git push".into()) });
    }

    #[test]
    fn a_list_may_sit_at_its_keys_indentation() {
        let node = parse("never_for:\n- gh pr create\n- git push\nnext: x\n").unwrap();
        let Value::Map(m) = &node.value else { panic!() };
        assert!(matches!(&m[0].2.value, Value::List(l) if l.len() == 2));
        assert_eq!(m[1].0, "next");
    }

    #[test]
    fn refuses_what_it_does_not_support_with_the_line() {
        let cases = [
            ("a: 1\na: 2\n", 2, "duplicate key 'a' (first on line 1)"),
            ("a:\n\tb: 1\n", 2, "tabs"),
            ("a: &x 1\n", 1, "anchors"),
            ("a: |\n  text\n", 1, "block scalars"),
            ("a:\n  - b: 1\n", 2, "lists of mappings"),
            ("a: 1\n  b: 2\n", 2, "unexpected indentation"),
            ("a: 1\n---\nb: 2\n", 2, "one YAML document"),
            ("just text\n", 1, "expected 'key: value'"),
            ("a: [1, 2\n", 1, "unclosed"),
        ];
        for (doc, line, needle) in cases {
            let e = parse(doc).unwrap_err();
            assert_eq!(e.line, line, "{doc:?}: {e:?}");
            assert!(e.message.contains(needle), "{doc:?}: {}", e.message);
        }
    }

    #[test]
    fn empty_documents_and_values() {
        assert_eq!(parse("# nothing\n").unwrap().value, Value::Map(vec![]));
        let node = parse("a:\nb: {}\nc: []\nd: 'it''s'\n").unwrap();
        let Value::Map(m) = node.value else { panic!() };
        assert_eq!(m[0].2.value, Value::Null);
        assert_eq!(m[1].2.value, Value::Map(vec![]));
        assert_eq!(m[2].2.value, Value::List(vec![]));
        assert_eq!(m[3].2.value, Value::Scalar("it's".into()));
    }
}
