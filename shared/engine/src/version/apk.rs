//! Alpine package versions, as apk orders them.
//!
//! No crate implements this, so it is written here from the format apk-tools
//! documents: `1.2.3`, then at most one lower-case letter, then any number of
//! `_suffix` with an optional number, then `-rN`. Pre-release suffixes
//! (`_alpha` < `_beta` < `_pre` < `_rc`) sort below the plain release,
//! post-release ones (`_cvs` < `_svn` < `_git` < `_hg` < `_p`) above it.
//!
//! A version is read as a sequence of tokens, each of a kind that can only
//! move forward through that list (number, letter, suffix, suffix number,
//! revision). Two versions are compared token by token; where one has a
//! token of a later kind than the other (or has ended), the one still on the
//! earlier kind has more version there and is greater, unless its token is a
//! pre-release suffix, which always loses.
//!
//! A dotted component that starts with `0` is compared like a decimal
//! fraction: first by how many leading zeros it has (more is smaller), then
//! by the digits after them. This is how apk-tools 2 behaves, and it gives
//! the occasional surprise recorded in the tests (`1.0` sorts above `1.00`).
//!
//! Versions apk itself would call invalid (upper-case letters, two letters
//! in a row, unknown suffixes, the `~hash` commit suffix) are refused rather
//! than given an order apk-tools never defined for them.

use std::cmp::Ordering;
use std::str::FromStr;

use super::{VersionError, VersionScheme};

/// A parsed Alpine package version, such as `1.2.3_rc1-r4`.
#[derive(Debug, Clone)]
pub struct ApkVersion {
    raw: String,
    tokens: Vec<Token>,
}

impl ApkVersion {
    /// The version as written, trimmed.
    pub fn as_str(&self) -> &str {
        &self.raw
    }
}

/// What a token is; the order of the variants is the order in which they
/// may appear in a version, and it decides comparisons between kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// A component after a dot; a zero run has a negative value.
    Dotted,
    /// The first component, or digits following a letter or a zero run.
    Number,
    /// A single lower-case letter after a number.
    Letter,
    /// A `_suffix`; negative values are pre-releases.
    Suffix,
    /// The number after a suffix.
    SuffixNumber,
    /// The `-rN` package revision.
    Revision,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Token {
    kind: Kind,
    value: i128,
}

/// Suffixes with their values, pre-releases first so that `_pre` is read
/// as itself and not as `_p` followed by garbage.
const SUFFIXES: [(&str, i128); 9] = [
    ("alpha", -4),
    ("beta", -3),
    ("pre", -2),
    ("rc", -1),
    ("cvs", 0),
    ("svn", 1),
    ("git", 2),
    ("hg", 3),
    ("p", 4),
];

/// Numbers longer than this are refused rather than silently wrapped.
const MAX_DIGITS: usize = 36;

impl FromStr for ApkVersion {
    type Err = VersionError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let raw = input.trim();
        let tokens =
            tokenize(raw).map_err(|e| VersionError::invalid(VersionScheme::Apk, input, e))?;
        Ok(ApkVersion {
            raw: raw.to_owned(),
            tokens,
        })
    }
}

/// Splits a version into tokens, refusing anything apk would not accept.
fn tokenize(s: &str) -> Result<Vec<Token>, &'static str> {
    let bytes = s.as_bytes();
    if !bytes.first().is_some_and(u8::is_ascii_digit) {
        return Err("must start with a digit");
    }
    let mut tokens = Vec::new();
    let mut pos = 0;
    let mut kind = Kind::Number;
    loop {
        pos = read_token(s, pos, kind, &mut tokens)?;
        let Some(&next) = bytes.get(pos) else {
            return Ok(tokens);
        };
        let last = tokens.last().map_or(Kind::Number, |t| t.kind);
        (kind, pos) = match (last, next) {
            (Kind::Dotted | Kind::Number, b'.') => (Kind::Dotted, pos + 1),
            (Kind::Dotted | Kind::Number, b'a'..=b'z') => (Kind::Letter, pos),
            (Kind::Letter, b'0'..=b'9') => (Kind::Number, pos),
            (Kind::Suffix, b'0'..=b'9') => (Kind::SuffixNumber, pos),
            (Kind::Revision, _) => return Err("text after the revision"),
            (_, b'_') => (Kind::Suffix, pos + 1),
            (_, b'-') if bytes.get(pos + 1) == Some(&b'r') => (Kind::Revision, pos + 2),
            (_, b'~') => return Err("commit-hash suffixes (~hash) are not supported"),
            _ => return Err("unexpected character"),
        };
    }
}

/// Reads one token of the given kind starting at `pos`; returns where the
/// next one starts.
fn read_token(
    s: &str,
    pos: usize,
    kind: Kind,
    out: &mut Vec<Token>,
) -> Result<usize, &'static str> {
    let rest = &s[pos..];
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    match kind {
        Kind::Dotted if rest.starts_with('0') => {
            let zeros = rest.bytes().take_while(|&b| b == b'0').count();
            out.push(Token {
                kind,
                value: -(zeros as i128),
            });
            if zeros == rest.len() {
                return Ok(s.len());
            }
            // Whatever digits follow the zeros (possibly none) form their
            // own token, so `1.05` is [1, -1, 5] and `1.0.5` [1, -1, 0, 5].
            let tail = rest[zeros..].bytes().take_while(u8::is_ascii_digit).count();
            let value = number(&rest[zeros..zeros + tail])?;
            out.push(Token {
                kind: Kind::Number,
                value,
            });
            Ok(pos + zeros + tail)
        }
        Kind::Dotted | Kind::Number | Kind::SuffixNumber | Kind::Revision => {
            if digits == 0 {
                return Err("expected a number");
            }
            let value = number(&rest[..digits])?;
            out.push(Token { kind, value });
            Ok(pos + digits)
        }
        Kind::Letter => {
            let value = i128::from(rest.as_bytes()[0]);
            out.push(Token { kind, value });
            Ok(pos + 1)
        }
        Kind::Suffix => {
            let (name, value) = SUFFIXES
                .iter()
                .find(|(name, _)| rest.starts_with(name))
                .ok_or("unknown suffix")?;
            out.push(Token {
                kind,
                value: *value,
            });
            Ok(pos + name.len())
        }
    }
}

/// A run of digits as a number; empty means 0.
fn number(digits: &str) -> Result<i128, &'static str> {
    let significant = digits.trim_start_matches('0');
    if significant.len() > MAX_DIGITS {
        return Err("number too long");
    }
    Ok(significant.parse().unwrap_or(0))
}

impl Ord for ApkVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let (mut a, mut b) = (self.tokens.iter(), other.tokens.iter());
        loop {
            return match (a.next(), b.next()) {
                (None, None) => Ordering::Equal,
                (Some(x), Some(y)) if x.kind == y.kind => match x.value.cmp(&y.value) {
                    Ordering::Equal => continue,
                    unequal => unequal,
                },
                (x, y) => beyond_common_prefix(x, y),
            };
        }
    }
}

/// Orders two versions at the first token where their kinds differ (or one
/// of them has ended, `None`).
fn beyond_common_prefix(a: Option<&Token>, b: Option<&Token>) -> Ordering {
    let is_pre_release =
        |t: Option<&Token>| t.is_some_and(|t| t.kind == Kind::Suffix && t.value < 0);
    if is_pre_release(a) {
        return Ordering::Less;
    }
    if is_pre_release(b) {
        return Ordering::Greater;
    }
    // The side still on an earlier kind has more version here; an ended
    // version (`None`) counts as the latest kind of all.
    match (a, b) {
        (Some(x), Some(y)) => y.kind.cmp(&x.kind),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (None, None) => Ordering::Equal,
    }
}

ordered_by_cmp!(ApkVersion);

#[cfg(test)]
mod tests;
