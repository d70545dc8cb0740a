//! Maven artifact versions, as Maven's `ComparableVersion` orders them.
//!
//! Written here rather than taken from the `mvn_version` crate: that crate
//! flattens Maven's nested lists into segments and gets some everyday cases
//! wrong (it puts `2-RC1` above `2.sp2`). This module keeps Maven's model,
//! and `maven/tests.rs` checks it against Maven's own class.
//!
//! The model, in Maven's terms:
//! - the version is lower-cased and read into a list of items: numbers and
//!   qualifiers (`alpha`, `rc`, `jre`, ...);
//! - `.` separates items; `-`, and every switch between digits and letters,
//!   opens a sub-list nested in the current one (`1.0-rc-1` is
//!   `[1, [rc, [1]]]`), which ranks a hyphenated part below a dotted one;
//!   a qualifier that runs into a digit or ends the version opens one too,
//!   unless it is first in its list (`1.0.0.RC1` reads as `1.0.0-RC1`);
//! - trailing "null" items (0, the release qualifier, empty lists) are
//!   dropped from each list, so `1.0` is `1` and `1.0-ga` is `1`;
//! - known qualifiers rank `alpha` < `beta` < `milestone` < `rc` <
//!   `snapshot` < release < `sp`, then unknown ones alphabetically; `a`,
//!   `b` and `m` directly followed by a digit mean alpha, beta, milestone;
//!   `cr` is `rc`; `ga`, `final` and `release` are the release itself;
//! - a number beats a sub-list, which beats a qualifier.
//!
//! Maven 3.9 changed a few corner cases (how `1.0.0.RC1`-style qualifiers
//! combine with following numbers); this follows Maven 3.8, the version
//! whose class the tests run.

use std::cmp::Ordering;
use std::str::FromStr;

use super::{VersionError, VersionScheme};

/// A parsed Maven version.
#[derive(Debug, Clone)]
pub struct MavenVersion {
    raw: String,
    items: Vec<Item>,
}

impl MavenVersion {
    /// The version as written, trimmed.
    pub fn as_str(&self) -> &str {
        &self.raw
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    /// Digits without leading zeros, so any length compares correctly.
    Number(String),
    /// A qualifier after aliasing, ranked by [`qualifier_rank`].
    Qualifier(String),
    /// Everything after a hyphen or a digit/letter switch.
    List(Vec<Item>),
}

/// Where a qualifier ranks; unknown qualifiers come after every known one
/// and among themselves alphabetically.
fn qualifier_rank(q: &str) -> (usize, &str) {
    const KNOWN: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
    match KNOWN.iter().position(|k| *k == q) {
        Some(i) => (i, ""),
        None => (KNOWN.len(), q),
    }
}

const RELEASE_RANK: (usize, &str) = (5, "");

impl Item {
    fn number(digits: &str) -> Item {
        Item::Number(digits.trim_start_matches('0').to_owned())
    }

    /// A qualifier; `followed_by_digit` turns `a1` into alpha-1 and so on.
    fn qualifier(text: &str, followed_by_digit: bool) -> Item {
        let name = match text {
            "a" if followed_by_digit => "alpha",
            "b" if followed_by_digit => "beta",
            "m" if followed_by_digit => "milestone",
            "ga" | "final" | "release" => "",
            "cr" => "rc",
            other => other,
        };
        Item::Qualifier(name.to_owned())
    }

    fn is_null(&self) -> bool {
        match self {
            Item::Number(n) => n.is_empty(),
            Item::Qualifier(q) => qualifier_rank(q) == RELEASE_RANK,
            Item::List(items) => items.is_empty(),
        }
    }

    /// How this item compares with a missing item on the other side.
    fn cmp_nothing(&self) -> Ordering {
        match self {
            Item::Number(n) if n.is_empty() => Ordering::Equal,
            Item::Number(_) => Ordering::Greater,
            Item::Qualifier(q) => qualifier_rank(q).cmp(&RELEASE_RANK),
            Item::List(items) => items
                .iter()
                .map(Item::cmp_nothing)
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal),
        }
    }
}

impl Ord for Item {
    fn cmp(&self, other: &Self) -> Ordering {
        use Item::{List, Number, Qualifier};
        match (self, other) {
            (Number(a), Number(b)) => a.len().cmp(&b.len()).then_with(|| a.cmp(b)),
            (Qualifier(a), Qualifier(b)) => qualifier_rank(a).cmp(&qualifier_rank(b)),
            (List(a), List(b)) => cmp_lists(a, b),
            (Number(_), _) | (List(_), Qualifier(_)) => Ordering::Greater,
            (_, Number(_)) | (Qualifier(_), List(_)) => Ordering::Less,
        }
    }
}

impl PartialOrd for Item {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn cmp_lists(a: &[Item], b: &[Item]) -> Ordering {
    let len = a.len().max(b.len());
    (0..len)
        .map(|i| match (a.get(i), b.get(i)) {
            (Some(x), Some(y)) => x.cmp(y),
            (Some(x), None) => x.cmp_nothing(),
            (None, Some(y)) => y.cmp_nothing().reverse(),
            (None, None) => Ordering::Equal,
        })
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

impl FromStr for MavenVersion {
    type Err = VersionError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let raw = input.trim();
        if raw.is_empty() {
            return Err(VersionError::invalid(
                VersionScheme::Maven,
                input,
                "empty version",
            ));
        }
        if raw.contains(char::is_whitespace) {
            let reason = "embedded whitespace";
            return Err(VersionError::invalid(VersionScheme::Maven, input, reason));
        }
        Ok(MavenVersion {
            raw: raw.to_owned(),
            items: parse(&raw.to_lowercase()),
        })
    }
}

/// Reads a lower-cased version into Maven's nested lists.
///
/// Each opened sub-list nests inside the previous one, so the lists form a
/// chain; it is kept as a stack and folded back together at the end,
/// innermost first, dropping null items on the way.
fn parse(version: &str) -> Vec<Item> {
    let mut chain: Vec<Vec<Item>> = vec![Vec::new()];
    let mut start = 0;
    let mut in_digits = false;
    for (i, c) in version.char_indices() {
        let token = &version[start..i];
        let current = chain.last_mut().expect("the chain is never empty");
        match c {
            '.' | '-' => {
                current.push(match token {
                    "" => Item::number(""),
                    _ if in_digits => Item::number(token),
                    _ => Item::qualifier(token, false),
                });
                start = i + 1;
                if c == '-' {
                    chain.push(Vec::new());
                }
            }
            _ if c.is_ascii_digit() => {
                if !in_digits && !token.is_empty() {
                    open_for_qualifier(&mut chain);
                    let current = chain.last_mut().expect("the chain is never empty");
                    current.push(Item::qualifier(token, true));
                    start = i;
                    chain.push(Vec::new());
                }
                in_digits = true;
            }
            _ => {
                if in_digits && !token.is_empty() {
                    current.push(Item::number(token));
                    start = i;
                    chain.push(Vec::new());
                }
                in_digits = false;
            }
        }
    }
    let token = &version[start..];
    if !token.is_empty() {
        if !in_digits {
            open_for_qualifier(&mut chain);
        }
        let current = chain.last_mut().expect("the chain is never empty");
        current.push(if in_digits {
            Item::number(token)
        } else {
            Item::qualifier(token, false)
        });
    }
    let mut folded = normalized(chain.pop().expect("the chain is never empty"));
    while let Some(mut parent) = chain.pop() {
        parent.push(Item::List(folded));
        folded = normalized(parent);
    }
    folded
}

/// A qualifier not ended by `.` or `-` (so followed by a digit, or last)
/// starts a sub-list of its own unless it is first in its list: Maven
/// reads `1.0.0.X1` like `1.0.0-X1`.
fn open_for_qualifier(chain: &mut Vec<Vec<Item>>) {
    if chain.last().is_some_and(|current| !current.is_empty()) {
        chain.push(Vec::new());
    }
}

/// Drops null items from the end of a list, looking past non-null
/// sub-lists (so `1.0-alpha` loses its `0` and equals `1-alpha`).
fn normalized(mut items: Vec<Item>) -> Vec<Item> {
    let mut i = items.len();
    while i > 0 {
        i -= 1;
        if items[i].is_null() {
            items.remove(i);
        } else if !matches!(items[i], Item::List(_)) {
            break;
        }
    }
    items
}

impl Ord for MavenVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_lists(&self.items, &other.items)
    }
}

ordered_by_cmp!(MavenVersion);

#[cfg(test)]
mod tests;
