//! The message-shape engine: one small template language for every message this parser
//! recognises, so a new shape is one table row, not new code.
//!
//! A template is literal text with typed holes, e.g.
//! `Failed {method} for {user} from {addr} port {port} {_}`. It matches a whole message:
//! literals must appear exactly, each hole takes the text up to the next literal, and a hole
//! at the end takes the rest. When a hole could end at several occurrences of the next
//! literal, the matcher tries them in order and backtracks, so an attacker-chosen user name
//! that contains ` from ` still parses correctly: `{user}` tries the longest text first,
//! because what follows a user name is written by the daemon. Holes that cannot contain spaces (`{addr}`,
//! `{port}`, `{method}`, `{host}`) stop the search early, which keeps a miss cheap; most
//! misses end at the first literal. Matching allocates nothing.
//!
//! | hole | takes | sets |
//! |---|---|---|
//! | `{user}` | any text, longest first (`root(uid=0)` → `root`) | `user.name` |
//! | `{login}` | one word | `user.name` |
//! | `{euser}` | any text | `user.effective.name` |
//! | `{addr}` | one word | `source.ip` if it is an IP, else `source.domain` |
//! | `{host}` | one word | `source.domain` |
//! | `{port}` | 1–5 digits, ≤ 65535 | `source.port` |
//! | `{method}` | one word | `sshd.auth.method` |
//! | `{code}` | digits | `sshd.disconnect.code` |
//! | `{n}` | digits | `pam.more_failures` |
//! | `{reason}` | any text | `event.reason` |
//! | `{pam}` | PAM's `key=value` list ([`crate::pam::read_fields`]) | `user.name`, `source.*`, `source.user.name` |
//! | `{sudo}` | sudo's `KEY=value ; …` list ([`crate::sudo::read_fields`]) | `process.*`, `user.effective.name`, `event.reason` |
//! | `{_}` | any text, possibly empty | nothing |

use std::fmt;
use std::net::IpAddr;

use memchr::memmem;

use crate::fields::{EventOutcome, MessageFields};
use crate::{pam, sudo};

/// Most holes a template may have.
const MAX_HOLES: usize = 8;

/// One row of a shape table: a template and the event it describes.
#[derive(Debug, Clone, Copy)]
pub struct ShapeDef {
    /// The template (see the module documentation).
    pub template: &'static str,
    /// `event.action`.
    pub action: &'static str,
    /// `event.outcome` (the `{sudo}` hole may turn success into failure).
    pub outcome: EventOutcome,
    /// `event.category`.
    pub category: &'static [&'static str],
    /// Whether the line says the user does not exist (`sshd.invalid_user`).
    pub invalid_user: bool,
}

impl ShapeDef {
    /// A row.
    pub const fn new(template: &'static str, action: &'static str, outcome: EventOutcome, category: &'static [&'static str]) -> Self {
        ShapeDef { template, action, outcome, category, invalid_user: false }
    }

    /// The same row, for a line about a user that does not exist.
    pub const fn invalid_user(self) -> Self {
        ShapeDef { invalid_user: true, ..self }
    }
}

/// A template that does not compile (a bug in a shape table, caught at `init`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// The template.
    pub template: &'static str,
    /// What is wrong with it.
    pub problem: &'static str,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "message template {:?} is invalid: {}", self.template, self.problem)
    }
}

/// A typed hole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hole {
    User,
    Login,
    EffectiveUser,
    Addr,
    Host,
    Port,
    Method,
    Code,
    Count,
    Reason,
    Pam,
    Sudo,
    Skip,
}

impl Hole {
    fn named(name: &str) -> Option<Hole> {
        Some(match name {
            "user" => Hole::User,
            "login" => Hole::Login,
            "euser" => Hole::EffectiveUser,
            "addr" => Hole::Addr,
            "host" => Hole::Host,
            "port" => Hole::Port,
            "method" => Hole::Method,
            "code" => Hole::Code,
            "n" => Hole::Count,
            "reason" => Hole::Reason,
            "pam" => Hole::Pam,
            "sudo" => Hole::Sudo,
            "_" => Hole::Skip,
            _ => return None,
        })
    }

    /// Whether the hole is one word: once a candidate holds a space, longer ones will too.
    fn is_word(self) -> bool {
        matches!(self, Hole::Login | Hole::Addr | Hole::Host | Hole::Port | Hole::Method | Hole::Code | Hole::Count)
    }

    /// Whether the hole tries its longest text first. `{user}` is: a user name is chosen by
    /// whoever connects, while the text after it is written by the daemon, so the last
    /// occurrence of the next literal is the daemon's.
    fn is_greedy(self) -> bool {
        self == Hole::User
    }

    fn accepts(self, text: &str) -> bool {
        match self {
            Hole::Login | Hole::Addr | Hole::Host | Hole::Method => !text.is_empty() && !text.contains(char::is_whitespace),
            Hole::Port => text.parse::<u16>().is_ok() && text.bytes().all(|c| c.is_ascii_digit()),
            Hole::Code | Hole::Count => (1..=9).contains(&text.len()) && text.bytes().all(|c| c.is_ascii_digit()),
            Hole::User | Hole::EffectiveUser | Hole::Reason | Hole::Pam | Hole::Sudo | Hole::Skip => true,
        }
    }

    /// Records the hole's text; `false` vetoes the match (a `{sudo}` list without COMMAND).
    fn record<'s>(self, text: &'s str, out: &mut MessageFields<'s>) -> bool {
        match self {
            Hole::User | Hole::Login => out.user = user_name(text),
            Hole::EffectiveUser => out.effective_user = user_name(text),
            Hole::Addr => set_source(text, out),
            Hole::Host => out.source_domain = Some(text),
            Hole::Port => out.source_port = text.parse().ok(),
            Hole::Method => out.auth_method = Some(text),
            Hole::Code => out.disconnect_code = text.parse().ok(),
            Hole::Count => out.more_failures = text.parse().ok(),
            Hole::Reason => out.reason = Some(text.trim()).filter(|r| !r.is_empty()),
            Hole::Pam => pam::read_fields(text, out),
            Hole::Sudo => return sudo::read_fields(text, out),
            Hole::Skip => {}
        }
        true
    }
}

/// Sets `source.ip` when `text` is an IP address, `source.domain` otherwise.
pub fn set_source<'s>(text: &'s str, out: &mut MessageFields<'s>) {
    match text.parse::<IpAddr>() {
        Ok(ip) => out.source_ip = Some(ip),
        Err(_) if !text.is_empty() => out.source_domain = Some(text),
        Err(_) => {}
    }
}

/// A user name as logged, without the `(uid=N)` newer PAM versions append.
pub fn user_name(text: &str) -> Option<&str> {
    // `ends_with` first: `str::find` builds a two-way searcher on every call.
    let name = match text.ends_with(')').then(|| text.find("(uid=")).flatten() {
        Some(at) => text.get(..at).unwrap_or(text),
        None => text,
    };
    (!name.is_empty()).then_some(name)
}

#[derive(Debug, Clone)]
enum Segment {
    Literal(Box<Literal>),
    Hole(Hole),
}

/// A template's literal text, with its searchers built once (`str::find` builds a two-way
/// searcher on every call).
#[derive(Debug, Clone)]
struct Literal {
    text: &'static str,
    forward: memmem::Finder<'static>,
    backward: memmem::FinderRev<'static>,
}

impl Literal {
    fn segment(text: &'static str) -> Segment {
        Segment::Literal(Box::new(Literal { text, forward: memmem::Finder::new(text), backward: memmem::FinderRev::new(text) }))
    }
}

/// A compiled shape.
#[derive(Debug, Clone)]
pub struct Shape {
    segments: Vec<Segment>,
    def: ShapeDef,
}

impl Shape {
    /// Compiles a row's template.
    pub fn compile(def: ShapeDef) -> Result<Shape, TemplateError> {
        let fail = |problem| TemplateError { template: def.template, problem };
        let mut segments = Vec::new();
        let mut rest = def.template;
        while !rest.is_empty() {
            match rest.find('{') {
                Some(0) => {
                    let end = rest.find('}').ok_or(fail("a '{' is not closed"))?;
                    let hole = rest.get(1..end).and_then(Hole::named).ok_or(fail("unknown hole name"))?;
                    if matches!(segments.last(), Some(Segment::Hole(_))) {
                        return Err(fail("two holes with no literal between them"));
                    }
                    segments.push(Segment::Hole(hole));
                    rest = rest.get(end + 1..).unwrap_or_default();
                }
                Some(at) => {
                    segments.push(Literal::segment(rest.get(..at).unwrap_or_default()));
                    rest = rest.get(at..).unwrap_or_default();
                }
                None => {
                    segments.push(Literal::segment(rest));
                    rest = "";
                }
            }
        }
        if segments.iter().filter(|s| matches!(s, Segment::Hole(_))).count() > MAX_HOLES {
            return Err(fail("too many holes"));
        }
        Ok(Shape { segments, def })
    }

    /// The byte every message of this shape starts with: the template's first, unless it
    /// starts with a hole.
    pub fn first_byte(&self) -> Option<u8> {
        match self.segments.first() {
            Some(Segment::Literal(literal)) => literal.text.as_bytes().first().copied(),
            _ => None,
        }
    }

    /// The fields `message` carries if it has this shape.
    pub fn apply<'s>(&self, message: &'s str) -> Option<MessageFields<'s>> {
        let mut texts = [""; MAX_HOLES];
        if !match_segments(&self.segments, message, &mut texts, 0) {
            return None;
        }
        let mut out = MessageFields {
            action: Some(self.def.action),
            outcome: self.def.outcome,
            category: self.def.category,
            invalid_user: self.def.invalid_user,
            ..MessageFields::default()
        };
        let holes = self.segments.iter().filter_map(|s| match s {
            Segment::Hole(hole) => Some(*hole),
            Segment::Literal(_) => None,
        });
        for (hole, text) in holes.zip(texts) {
            if !hole.record(text, &mut out) {
                return None;
            }
        }
        Some(out)
    }
}

/// `hay.starts_with(prefix)`, eight bytes a step. Slice equality calls the C library's
/// `memcmp`, which in the plugin (wasi-libc's) compares a byte at a time, and literals are
/// compared with most lines the parser reads.
fn has_prefix(hay: &[u8], prefix: &[u8]) -> bool {
    let Some(head) = hay.get(..prefix.len()) else { return false };
    let (mut a, mut b) = (head.chunks_exact(8), prefix.chunks_exact(8));
    let word = |chunk: &[u8]| <[u8; 8]>::try_from(chunk).map(u64::from_ne_bytes).ok();
    a.by_ref().zip(b.by_ref()).all(|(x, y)| word(x) == word(y)) && a.remainder().iter().zip(b.remainder()).all(|(x, y)| x == y)
}

/// Whether `input` matches `segments` exactly; fills `texts[next..]` with the holes' text.
fn match_segments<'s>(segments: &[Segment], input: &'s str, texts: &mut [&'s str; MAX_HOLES], next: usize) -> bool {
    match segments {
        [] => input.is_empty(),
        [Segment::Literal(literal), rest @ ..] => {
            let after = has_prefix(input.as_bytes(), literal.text.as_bytes()).then(|| input.get(literal.text.len()..)).flatten();
            after.is_some_and(|after| match_segments(rest, after, texts, next))
        }
        [Segment::Hole(hole), rest @ ..] => {
            if next >= MAX_HOLES {
                return false;
            }
            match rest.first() {
                None => {
                    let ok = hole.accepts(input);
                    if let (true, Some(slot)) = (ok, texts.get_mut(next)) {
                        *slot = input;
                    }
                    ok
                }
                Some(Segment::Literal(literal)) => {
                    let mut candidates = Candidates::new(input, literal, hole.is_greedy());
                    while let Some(at) = candidates.next() {
                        let (Some(text), Some(after)) = (input.get(..at), input.get(at..)) else {
                            return false;
                        };
                        if hole.is_word() && memchr::memchr(b' ', text.as_bytes()).is_some() {
                            return false;
                        }
                        if hole.accepts(text) && match_segments(rest, after, texts, next + 1) {
                            if let Some(slot) = texts.get_mut(next) {
                                *slot = text;
                            }
                            return true;
                        }
                    }
                    false
                }
                // `Shape::compile` never puts two holes side by side.
                Some(Segment::Hole(_)) => false,
            }
        }
    }
}

/// Where a hole followed by `literal` may end: each occurrence of `literal` in `input`,
/// leftmost first, or rightmost first for a greedy hole. Occurrences of the literals used
/// here cannot overlap, so each search resumes past (or before) the last one found.
struct Candidates<'s, 'l> {
    input: &'s str,
    literal: &'l Literal,
    greedy: bool,
    /// Lazy: where the next search starts. Greedy: where it ends.
    bound: usize,
}

impl<'s, 'l> Candidates<'s, 'l> {
    fn new(input: &'s str, literal: &'l Literal, greedy: bool) -> Self {
        Candidates { input, literal, greedy, bound: if greedy { input.len() } else { 0 } }
    }

    fn next(&mut self) -> Option<usize> {
        if self.greedy {
            let at = self.literal.backward.rfind(self.input.as_bytes().get(..self.bound)?)?;
            self.bound = at;
            Some(at)
        } else {
            let at = self.bound + self.literal.forward.find(self.input.as_bytes().get(self.bound..)?)?;
            self.bound = at + self.literal.text.len().max(1);
            Some(at)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_prefix_agrees_with_starts_with() {
        let hay = b"Accepted password for root from 10.0.0.1 port 22 ssh2";
        for end in 0..=hay.len() {
            assert!(has_prefix(hay, &hay[..end]), "{end}");
            let mut other = hay[..end].to_vec();
            if let Some(last) = other.last_mut() {
                *last ^= 1;
                assert!(!has_prefix(hay, &other), "{end}");
            }
            if let Some(first) = other.first_mut() {
                *first ^= 2;
                assert!(!has_prefix(hay, &other), "{end}");
            }
        }
        assert!(!has_prefix(b"short", b"shorter"));
    }
    use crate::fields::category;

    fn shape(template: &'static str) -> Shape {
        Shape::compile(ShapeDef::new(template, "test", EventOutcome::Failure, category::AUTHENTICATION)).unwrap()
    }

    #[test]
    fn user_name_containing_the_next_literal_backtracks_to_a_consistent_parse() {
        let s = shape("Failed {method} for {user} from {addr} port {port} {_}");
        let f = s.apply("Failed password for x from 1.2.3.4 port 22 ssh2 from 5.6.7.8 port 1234 ssh2").unwrap();
        assert_eq!(f.user, Some("x from 1.2.3.4 port 22 ssh2"));
        assert_eq!(f.source_ip, Some("5.6.7.8".parse().unwrap()));
        let s = shape("Invalid user {user} from {addr}");
        let f = s.apply("Invalid user a from b from 5.6.7.8").unwrap();
        assert_eq!(f.user, Some("a from b"));
        assert_eq!(f.source_ip, Some("5.6.7.8".parse().unwrap()));
        let s = shape("Connection closed by {addr} port {port} via {_}");
        let f = s.apply("Connection closed by 1.2.3.4 port 22 via x port 5 via y").unwrap();
        assert_eq!(f.source_port, Some(22));
    }

    #[test]
    fn templates_match_whole_messages_only() {
        let s = shape("Connection closed by {addr}");
        assert!(s.apply("Connection closed by 1.2.3.4").is_some());
        assert!(s.apply("Connection closed by 1.2.3.4 port 22").is_none());
        assert!(s.apply("Connection closed").is_none());
    }

    #[test]
    fn typed_holes_refuse_wrong_text() {
        let s = shape("from {addr} port {port}");
        assert!(s.apply("from 1.2.3.4 port 70000").is_none());
        assert!(s.apply("from 1.2.3.4 port x").is_none());
        assert_eq!(s.apply("from host.example port 22").and_then(|f| f.source_domain), Some("host.example"));
    }

    #[test]
    fn malformed_templates_are_refused() {
        let def = |t| ShapeDef::new(t, "a", EventOutcome::Unknown, category::NETWORK);
        assert!(Shape::compile(def("{user}{addr}")).is_err());
        assert!(Shape::compile(def("x {nope}")).is_err());
        assert!(Shape::compile(def("x {user")).is_err());
    }

    #[test]
    fn uid_suffix_is_dropped_from_user_names() {
        assert_eq!(user_name("root(uid=0)"), Some("root"));
        assert_eq!(user_name("alice"), Some("alice"));
        assert_eq!(user_name(""), None);
        // Only a suffix that closes the line is dropped.
        assert_eq!(user_name("root(uid=0) x"), Some("root(uid=0) x"));
        assert_eq!(user_name("a(uid=1)(b)"), Some("a"));
        assert_eq!(user_name("(uid=0)"), None);
    }
}
