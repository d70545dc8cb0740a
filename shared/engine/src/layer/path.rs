//! Paths inside an image: normalising tar entry names, refusing the ones
//! that climb out of the root, and resolving symlinks inside the root.

use std::collections::BTreeMap;

/// Why a tar path was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PathProblem {
    /// `..` climbs above the image root (`../etc/passwd`, `a/../../x`).
    Escapes,
    /// A hard link target given as an absolute path: tar link names are
    /// relative to the archive root, so an absolute one would be a host
    /// path to a naive extractor.
    Absolute,
}

impl PathProblem {
    pub(crate) fn describe(&self) -> &'static str {
        match self {
            PathProblem::Escapes => "`..` climbs above the image root",
            PathProblem::Absolute => "an absolute link target",
        }
    }
}

/// Normalises a tar entry name to an absolute path inside the image
/// (`./usr/bin/` → `/usr/bin`). Leading `/` and `./` are dropped as tar and
/// container runtimes do; `.` components vanish and `..` pops one, and a
/// `..` above the root is refused. The root itself is `/`.
pub(crate) fn normalize_entry(name: &str) -> Result<String, PathProblem> {
    let mut parts: Vec<&str> = Vec::new();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop().ok_or(PathProblem::Escapes)?;
            }
            part => parts.push(part),
        }
    }
    Ok(join(&parts))
}

/// Normalises a hard link's target, which names an earlier archive entry.
pub(crate) fn normalize_hard_link(target: &str) -> Result<String, PathProblem> {
    if target.starts_with('/') {
        return Err(PathProblem::Absolute);
    }
    normalize_entry(target)
}

/// Checks a symlink's target: a relative target must not climb above the
/// root from the link's directory (Docker refuses such layers too). An
/// absolute target is fine: it is resolved inside the image root.
pub(crate) fn check_symlink(link: &str, target: &str) -> Result<(), PathProblem> {
    if target.starts_with('/') {
        return Ok(());
    }
    let dir = parent(link).unwrap_or("/");
    normalize_entry(&format!("{dir}/{target}")).map(|_| ())
}

/// The directory holding `path`, `None` for the root.
pub(crate) fn parent(path: &str) -> Option<&str> {
    match path.rsplit_once('/') {
        Some(("", "")) | None => None,
        Some(("", _)) => Some("/"),
        Some((dir, _)) => Some(dir),
    }
}

/// Every proper ancestor directory of `path` except the root, outermost
/// first: `/a/b/c` → `/a`, `/a/b`.
pub(crate) fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/')
        .map(|(i, _)| &path[..i])
        .filter(|p| !p.is_empty())
}

/// Resolves `path` through `symlinks` (final filesystem, absolute link path
/// → raw target) the way the kernel does inside a container: every
/// component may be a link, absolute targets start again at the image root,
/// and `..` at the root stays at the root. `None` after 40 links (a loop).
pub(crate) fn resolve(path: &str, symlinks: &BTreeMap<String, String>) -> Option<String> {
    let mut pending: Vec<String> = path.split('/').rev().map(str::to_owned).collect();
    let mut done: Vec<String> = Vec::new();
    let mut hops = 0;
    while let Some(part) = pending.pop() {
        match part.as_str() {
            "" | "." => continue,
            ".." => {
                done.pop();
                continue;
            }
            _ => done.push(part),
        }
        let here = join(&done);
        let Some(target) = symlinks.get(&here) else {
            continue;
        };
        hops += 1;
        if hops > 40 {
            return None;
        }
        done.pop();
        if target.starts_with('/') {
            done.clear();
        }
        pending.extend(target.split('/').rev().map(str::to_owned));
    }
    Some(join(&done))
}

fn join<S: AsRef<str>>(parts: &[S]) -> String {
    let mut out = String::new();
    for part in parts {
        out.push('/');
        out.push_str(part.as_ref());
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// A stable 64-bit hash of a path (FNV-1a), used to remember every entry
/// of a layer compactly in the cache. Stable across builds and machines,
/// unlike the standard library's hasher.
pub(crate) fn path_hash(path: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in path.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_entry_names() {
        assert_eq!(normalize_entry("./usr/bin/").unwrap(), "/usr/bin");
        assert_eq!(
            normalize_entry("/etc//os-release").unwrap(),
            "/etc/os-release"
        );
        assert_eq!(normalize_entry("a/./b/../c").unwrap(), "/a/c");
        assert_eq!(normalize_entry("./").unwrap(), "/");
        assert_eq!(normalize_entry("../etc/passwd"), Err(PathProblem::Escapes));
        assert_eq!(normalize_entry("a/../../x"), Err(PathProblem::Escapes));
    }

    #[test]
    fn checks_link_targets() {
        assert_eq!(normalize_hard_link("usr/bin/x").unwrap(), "/usr/bin/x");
        assert_eq!(
            normalize_hard_link("/etc/shadow"),
            Err(PathProblem::Absolute)
        );
        assert!(check_symlink("/etc/os-release", "../usr/lib/os-release").is_ok());
        assert!(check_symlink("/bin", "/usr/bin").is_ok());
        assert_eq!(
            check_symlink("/etc/x", "../../../etc/shadow"),
            Err(PathProblem::Escapes)
        );
    }

    #[test]
    fn parents_and_ancestors() {
        assert_eq!(parent("/a/b"), Some("/a"));
        assert_eq!(parent("/a"), Some("/"));
        assert_eq!(parent("/"), None);
        assert_eq!(ancestors("/a/b/c").collect::<Vec<_>>(), ["/a", "/a/b"]);
        assert_eq!(ancestors("/a").count(), 0);
    }

    #[test]
    fn resolves_inside_the_root() {
        let links: BTreeMap<String, String> = [
            ("/etc/os-release", "../usr/lib/os-release"),
            ("/lib", "usr/lib"),
            ("/escape", "../../../../etc"),
            ("/abs", "/usr/lib"),
            ("/loop", "/loop"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect();
        let r = |p| resolve(p, &links);
        assert_eq!(r("/etc/os-release").as_deref(), Some("/usr/lib/os-release"));
        assert_eq!(
            r("/lib/apk/db/installed").as_deref(),
            Some("/usr/lib/apk/db/installed")
        );
        assert_eq!(r("/escape/passwd").as_deref(), Some("/etc/passwd"));
        assert_eq!(r("/abs/x").as_deref(), Some("/usr/lib/x"));
        assert_eq!(r("/loop/x"), None);
    }

    #[test]
    fn path_hash_is_stable() {
        assert_eq!(path_hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(path_hash("a"), 0xaf63_dc4c_8601_ec8c);
    }
}
