//! The policy files' YAML, read by `saphyr-parser` (YAML 1.2, so quoting and
//! escapes mean what they mean everywhere else), with a line number on every
//! node so errors can say exactly where to look, and our rules on top: no
//! anchors, aliases or tags, no block scalars, no duplicate keys, one
//! document, keys and list items are plain values. The parser's messages for
//! the mistakes people make by hand get a hint saying what to fix.

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

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

fn err<T>(line: usize, message: impl Into<String>) -> Result<T, YamlError> {
    Err(YamlError {
        line,
        message: message.into(),
    })
}

/// The events of one document, with the strict rules applied as they pass.
struct Events<'a> {
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
}

impl<'a> Events<'a> {
    fn next(&mut self) -> Result<(Event<'a>, usize), YamlError> {
        match self.parser.next() {
            Some(Ok((event, span))) => {
                let line = line(&span);
                match &event {
                    Event::Alias(_) => err(line, "anchors and aliases are not supported"),
                    Event::Scalar(_, _, anchor, _)
                    | Event::SequenceStart(anchor, _)
                    | Event::MappingStart(anchor, _)
                        if *anchor != 0 =>
                    {
                        err(line, "anchors and aliases are not supported")
                    }
                    Event::Scalar(_, _, _, Some(_))
                    | Event::SequenceStart(_, Some(_))
                    | Event::MappingStart(_, Some(_)) => err(line, "tags are not supported"),
                    Event::Scalar(_, ScalarStyle::Literal | ScalarStyle::Folded, _, _) => err(
                        line,
                        "block scalars are not supported; write the value on one line",
                    ),
                    _ => Ok((event, line)),
                }
            }
            Some(Err(e)) => err(e.marker().line(), advice(e.info())),
            None => err(0, "unexpected end of the document"),
        }
    }
}

/// The parser's message, with what to fix for the usual hand-written mistakes.
fn advice(info: &str) -> String {
    const HINTS: [(&str, &str); 7] = [
        ("mapping values are not allowed", "unexpected indentation or ':' (check that this line lines up with its siblings; quote a value that holds ': ')"),
        ("did not find expected key", "unexpected indentation (check that this line lines up with its siblings)"),
        ("did not find expected '-'", "unexpected indentation inside a list (each item is '- value' at the list's indentation)"),
        ("tabs disallowed", "indent with spaces, not tabs"),
        ("unknown anchor", "anchors and aliases are not supported"),
        ("quoted scalar, found unexpected end", "unclosed quote"),
        ("unknown escape character", "unknown escape in a double-quoted value (write \\\\ for a backslash, or use single quotes)"),
    ];
    match HINTS.iter().find(|(needle, _)| info.contains(needle)) {
        Some((_, hint)) => hint.to_string(),
        None if info.contains("flow sequence") => {
            format!("unclosed '[' list, or a missing ',' ({info})")
        }
        None => info.to_string(),
    }
}

fn line(span: &Span) -> usize {
    span.start.line()
}

/// Parses a document; an empty document is an empty mapping.
pub fn parse(src: &str) -> Result<Node, YamlError> {
    let mut events = Events {
        parser: Parser::new_from_str(src),
    };
    let mut root = None;
    loop {
        match events.next()? {
            (Event::StreamStart | Event::DocumentEnd, _) => {}
            (Event::DocumentStart(_), line) if root.is_some() => {
                return err(line, "only one YAML document per file is supported")
            }
            (Event::DocumentStart(_), _) => {
                let (first, line) = events.next()?;
                let doc = node(&mut events, first, line)?;
                if let Value::Scalar(text) = &doc.value {
                    return err(
                        line,
                        format!(
                            "expected 'key: value', found {:?}",
                            crate::names::one_line(text, 40)
                        ),
                    );
                }
                root = Some(doc);
            }
            (Event::StreamEnd, _) => {
                return Ok(root.unwrap_or(Node {
                    line: 1,
                    value: Value::Map(Vec::new()),
                }))
            }
            (_, line) => return err(line, "unexpected YAML here"),
        }
    }
}

/// The node that `first` starts.
fn node<'a>(events: &mut Events<'a>, first: Event<'a>, line: usize) -> Result<Node, YamlError> {
    let value = match first {
        Event::Scalar(text, style, _, _) => scalar(text.into_owned(), style),
        Event::SequenceStart(..) => Value::List(list(events)?),
        Event::MappingStart(..) => Value::Map(map(events)?),
        _ => return err(line, "unexpected YAML here"),
    };
    Ok(Node { line, value })
}

/// A plain empty scalar (`key:` with nothing after it) is null; every other scalar is text.
fn scalar(text: String, style: ScalarStyle) -> Value {
    if style == ScalarStyle::Plain && text.is_empty() {
        Value::Null
    } else {
        Value::Scalar(text)
    }
}

fn list<'a>(events: &mut Events<'a>) -> Result<Vec<Node>, YamlError> {
    let mut items = Vec::new();
    loop {
        match events.next()? {
            (Event::SequenceEnd, _) => return Ok(items),
            (Event::Scalar(text, style, _, _), line) => items.push(Node {
                line,
                value: scalar(text.into_owned(), style),
            }),
            (Event::MappingStart(..), line) => {
                return err(
                    line,
                    "lists of mappings are not supported here; list plain values",
                )
            }
            (_, line) => return err(line, "nested lists are not supported"),
        }
    }
}

fn map<'a>(events: &mut Events<'a>) -> Result<Vec<(String, usize, Node)>, YamlError> {
    let mut entries: Vec<(String, usize, Node)> = Vec::new();
    loop {
        let (key, line) = match events.next()? {
            (Event::MappingEnd, _) => return Ok(entries),
            (Event::Scalar(key, _, _, _), line) => (key.into_owned(), line),
            (_, line) => return err(line, "keys must be plain values"),
        };
        if let Some((_, first_line, _)) = entries.iter().find(|(k, _, _)| *k == key) {
            return err(
                line,
                format!("duplicate key '{key}' (first on line {first_line})"),
            );
        }
        let (first, value_line) = events.next()?;
        let value = node(events, first, value_line)?;
        entries.push((key, line, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar_at<'a>(node: &'a Node, path: &[&str]) -> &'a str {
        let mut n = node;
        for key in path {
            let Value::Map(entries) = &n.value else {
                panic!("not a map at {key}")
            };
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
        assert_eq!(
            scalar_at(&node, &["bots", "raxx-dev-bot", "permissions", "contents"]),
            "write"
        );
        let Value::Map(top) = &node.value else {
            panic!()
        };
        assert_eq!(top[1].1, 4, "line of 'bots'");
        let Value::Map(bots) = &top[1].2.value else {
            panic!()
        };
        let Value::Map(dev) = &bots[0].2.value else {
            panic!()
        };
        assert_eq!(
            dev[1].2.value,
            Value::List(vec![
                Node {
                    line: 8,
                    value: Value::Scalar("app".into())
                },
                Node {
                    line: 8,
                    value: Value::Scalar("docs".into())
                }
            ])
        );
        let Value::List(extra) = &dev[2].2.value else {
            panic!()
        };
        assert_eq!(
            extra[1],
            Node {
                line: 11,
                value: Value::Scalar("git push".into())
            }
        );
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
            (
                "a:\n  b: 1\n  b: 2\n",
                3,
                "duplicate key 'b' (first on line 2)",
            ),
            ("a:\n\tb: 1\n", 2, "tabs"),
            ("a: &x 1\n", 1, "anchors"),
            ("a: *x\n", 1, "anchors and aliases"),
            ("a: &x 1\nb: *x\n", 1, "anchors"),
            ("a: !!str 1\n", 1, "tags are not supported"),
            ("a: !secret x\n", 1, "tags are not supported"),
            ("a: |\n  text\n", 2, "block scalars"),
            ("a: >\n  text\n", 2, "block scalars"),
            ("a:\n  - b: 1\n", 2, "lists of mappings"),
            ("a: [[1]]\n", 1, "nested lists"),
            ("? [a]\n: 1\n", 1, "keys must be plain values"),
            ("a: 1\n  b: 2\n", 2, "unexpected indentation"),
            (
                "bots:\n  x:\n    permissions:\n      contents: write\n   fallback: allow\n",
                5,
                "unexpected indentation",
            ),
            (
                "a:\n  - x\n  y: 1\n",
                3,
                "unexpected indentation inside a list",
            ),
            ("a: b: c\n", 1, "quote a value that holds ': '"),
            ("a: 1\n---\nb: 2\n", 2, "one YAML document"),
            ("just text\n", 1, "expected 'key: value'"),
            ("a: [1, 2\n", 2, "unclosed '[' list"),
            ("a: \"x\n", 1, "unclosed quote"),
            ("a: 'x\n", 1, "unclosed quote"),
            ("a: \"\\q\"\n", 1, "unknown escape"),
        ];
        for (doc, line, needle) in cases {
            let e = parse(doc).unwrap_err();
            assert_eq!(e.line, line, "{doc:?}: {e:?}");
            assert!(e.message.contains(needle), "{doc:?}: {}", e.message);
        }
    }

    #[test]
    fn double_quoted_escapes_mean_what_yaml_says() {
        let value = |doc: &str| scalar_at(&parse(doc).unwrap(), &["a"]).to_string();
        assert_eq!(value("a: \"tab\\there\"\n"), "tab\there");
        assert_eq!(value("a: \"\\u00e9\\x41\\\"\\\\\"\n"), "éA\"\\");
        assert_eq!(value("a: \"gh pr create\\n\"\n"), "gh pr create\n");
        assert_eq!(
            value("a: 'it''s \\n'\n"),
            "it's \\n",
            "single quotes have no escapes"
        );
        assert_eq!(value("a: plain \\n\n"), "plain \\n", "nor do plain values");
    }

    #[test]
    fn empty_documents_and_values() {
        assert_eq!(parse("# nothing\n").unwrap().value, Value::Map(vec![]));
        assert_eq!(parse("").unwrap().value, Value::Map(vec![]));
        let node = parse("a:\nb: {}\nc: []\nd: 'it''s'\ne: ''\n").unwrap();
        let Value::Map(m) = node.value else { panic!() };
        assert_eq!(m[0].2.value, Value::Null);
        assert_eq!(m[1].2.value, Value::Map(vec![]));
        assert_eq!(m[2].2.value, Value::List(vec![]));
        assert_eq!(m[3].2.value, Value::Scalar("it's".into()));
        assert_eq!(
            m[4].2.value,
            Value::Scalar("".into()),
            "quoted empty is a value, not null"
        );
    }
}
