//! Page tokens: where the next page of issues starts, opaque to callers.
//!
//! A token is the hex of `v1:<severity rank>:<issue id>`. Hex keeps it to
//! URL- and shell-safe characters; the version prefix lets the format
//! change without misreading old tokens.

use std::fmt::Write as _;

use tonic::Status;

use crate::store::issue::Cursor;

const VERSION: &str = "v1";

/// The token for the page after `cursor`.
pub(super) fn encode(cursor: &Cursor) -> String {
    let plain = format!("{VERSION}:{}:{}", cursor.severity_rank, cursor.id);
    plain
        .bytes()
        .fold(String::with_capacity(plain.len() * 2), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

/// The cursor a token names; `None` for an empty token (the first page).
pub(super) fn decode(token: &str) -> Result<Option<Cursor>, Status> {
    if token.is_empty() {
        return Ok(None);
    }
    parse(token).map(Some).ok_or_else(|| {
        Status::invalid_argument(
            "page_token is not one this API returned; list again without it to start over",
        )
    })
}

fn parse(token: &str) -> Option<Cursor> {
    let bytes = (0..token.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(token.get(i..i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    let plain = String::from_utf8(bytes).ok()?;
    let rest = plain.strip_prefix(VERSION)?.strip_prefix(':')?;
    let (rank, id) = rest.split_once(':')?;
    (!id.is_empty()).then_some(())?;
    Some(Cursor {
        severity_rank: rank.parse().ok()?,
        id: id.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use tonic::Code;

    use super::*;

    #[test]
    fn a_token_round_trips() {
        let cursor = Cursor {
            severity_rank: 3,
            id: "0190d1e2-7c4f-7000-8000-000000000001".into(),
        };
        let token = encode(&cursor);
        assert!(token.chars().all(|c| c.is_ascii_hexdigit()), "{token}");
        assert_eq!(decode(&token).unwrap(), Some(cursor));
        assert_eq!(decode("").unwrap(), None);
    }

    #[test]
    fn foreign_tokens_are_invalid_arguments() {
        for token in ["zz", "abc", "6869", "76323a783a79"] {
            let status = decode(token).unwrap_err();
            assert_eq!(status.code(), Code::InvalidArgument, "{token}");
        }
    }
}
