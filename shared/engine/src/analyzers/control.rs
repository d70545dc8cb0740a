//! Paragraphs of `Field: value` lines, the format of dpkg's status file and
//! of Python's `METADATA` / `PKG-INFO` headers.
//!
//! Only what the analyzers need: field names compared without regard to
//! case, continuation lines (starting with a space or tab) appended to the
//! previous field, paragraphs separated by blank lines. Bytes that are not
//! UTF-8 (old Latin-1 descriptions) are replaced, which never touches the
//! ASCII fields the analyzers read.

/// One paragraph: its fields in file order, and the line it started on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Paragraph {
    /// 1-based line number of the paragraph's first field, for messages.
    pub(crate) line: usize,
    fields: Vec<(String, String)>,
}

impl Paragraph {
    /// The first value of `name`, trimmed; field names ignore case.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(field, _)| field.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.trim())
    }
}

/// Splits `text` into paragraphs. Lines that are neither a field, a
/// continuation nor blank (a stray comment) are ignored.
pub(crate) fn paragraphs(text: &str) -> Vec<Paragraph> {
    let mut out = Vec::new();
    let mut current = Paragraph::default();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            if !current.fields.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = current.fields.last_mut() {
                value.push('\n');
                value.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            if current.fields.is_empty() {
                current.line = index + 1;
            }
            current
                .fields
                .push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    if !current.fields.is_empty() {
        out.push(current);
    }
    out
}

/// The header block of an RFC 822 style message: everything before the
/// first blank line (Python metadata puts the long description after it,
/// and that body may contain lines that look like fields).
pub(crate) fn headers(text: &str) -> Paragraph {
    let end = text
        .find("\n\n")
        .or_else(|| text.find("\r\n\r\n"))
        .unwrap_or(text.len());
    paragraphs(&text[..end])
        .into_iter()
        .next()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_paragraphs_and_joins_continuations() {
        let text = "Package: a\nDescription: one\n two\n\n\nPackage: b\nversion: 1\n";
        let paras = paragraphs(text);
        assert_eq!(paras.len(), 2);
        assert_eq!(paras[0].get("package"), Some("a"));
        assert_eq!(paras[0].get("Description"), Some("one\ntwo"));
        assert_eq!(paras[1].get("Version"), Some("1"));
        assert_eq!(paras[1].line, 6);
    }

    #[test]
    fn headers_stop_at_the_body() {
        let text = "Name: x\nVersion: 1.0\n\nName: not-a-header\n";
        let head = headers(text);
        assert_eq!(head.get("Name"), Some("x"));
        assert_eq!(head.get("Version"), Some("1.0"));
    }
}
