//! Parses the module lines of a Go binary's build information, the text
//! `go version -m` prints:
//!
//! ```text
//! path    example.com/app
//! mod     example.com/app (devel)
//! dep     golang.org/x/text   v0.3.7  h1:…
//! dep     example.com/orig    v1.0.0
//! =>      example.com/fork    v1.0.1  h1:…
//! build   -compiler=gc
//! ```
//!
//! Fields are tab-separated; a `=>` line replaces the module on the line
//! before it. The text is framed by 16 bytes of binary sentinel at either
//! end, which are dropped; Go 1.19 also writes an empty line after each
//! replacement, which is skipped.

/// One module as the build information names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Module {
    pub(crate) path: String,
    /// `v1.2.3`, or `(devel)` for a module built from a working tree.
    pub(crate) version: String,
    /// The module that replaced this one in `go.mod`, if any.
    pub(crate) replace: Option<Box<Module>>,
}

/// The modules of one binary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ModInfo {
    /// The main module (`mod` line); absent for binaries built outside a
    /// module (`go build file.go`).
    pub(crate) main: Option<Module>,
    /// Every dependency (`dep` lines), in the order written.
    pub(crate) deps: Vec<Module>,
}

/// Where the text proper starts and ends: Go frames it with 16 bytes of
/// binary sentinel on each side.
const SENTINEL_LEN: usize = 16;

/// Parses the module lines. Lines of unknown kinds are ignored, as Go's
/// own parser would reject them but a scanner should not lose the rest.
pub(crate) fn parse(modinfo: &[u8]) -> ModInfo {
    let text = String::from_utf8_lossy(strip_sentinels(modinfo));
    let mut info = ModInfo::default();
    // Which module a `=>` line replaces: the main module or the last dep.
    let mut last: Option<&mut Module> = None;
    for line in text.lines() {
        let mut fields = line.split('\t');
        let kind = fields.next().unwrap_or("");
        let module = || -> Option<Module> {
            let mut fields = line.split('\t').skip(1);
            let path = fields.next().filter(|p| !p.is_empty())?;
            Some(Module {
                path: path.to_owned(),
                version: fields.next().unwrap_or("").to_owned(),
                replace: None,
            })
        };
        last = match kind {
            "mod" => {
                info.main = module();
                info.main.as_mut()
            }
            "dep" => match module() {
                Some(dep) => {
                    info.deps.push(dep);
                    info.deps.last_mut()
                }
                None => None,
            },
            "=>" => {
                if let (Some(replaced), Some(replacement)) = (last, module()) {
                    replaced.replace = Some(Box::new(replacement));
                }
                None
            }
            _ => None,
        };
    }
    info
}

/// Drops the binary sentinels around the text when they are there; text
/// without them (as `go version -m` prints it) passes through.
fn strip_sentinels(modinfo: &[u8]) -> &[u8] {
    let len = modinfo.len();
    if len > 2 * SENTINEL_LEN && modinfo[len - SENTINEL_LEN - 1] == b'\n' {
        &modinfo[SENTINEL_LEN..len - SENTINEL_LEN]
    } else {
        modinfo
    }
}
