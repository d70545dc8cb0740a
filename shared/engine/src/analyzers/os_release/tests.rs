use super::*;

#[test]
fn parses_bookworm_os_release() {
    let text = r#"PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
"#;
    assert_eq!(
        parse_os_release(text),
        Some(OsRelease {
            id: "debian".into(),
            version_id: Some("12".into()),
            version_codename: Some("bookworm".into()),
            id_like: vec![],
            pretty_name: Some("Debian GNU/Linux 12 (bookworm)".into()),
        })
    );
}

#[test]
fn parses_quoting_and_id_like() {
    let text =
        "# comment\nID='ubuntu'\nID_LIKE=\"debian foo\"\nPRETTY_NAME=\"A \\\"quoted\\\" name\"\n";
    let os = parse_os_release(text).unwrap();
    assert_eq!(os.id, "ubuntu");
    assert_eq!(os.id_like, ["debian", "foo"]);
    assert_eq!(os.pretty_name.as_deref(), Some("A \"quoted\" name"));
}

#[test]
fn no_id_is_no_os() {
    assert_eq!(parse_os_release("NAME=x\n"), None);
    assert_eq!(parse_alpine_release("\n"), None);
}

#[test]
fn fallback_release_files() {
    let alpine = parse_alpine_release("3.18.1\n").unwrap();
    assert_eq!(
        (alpine.id.as_str(), alpine.version_id.as_deref()),
        ("alpine", Some("3.18.1"))
    );
    let debian = parse_debian_version("12.5\n").unwrap();
    assert_eq!(
        (debian.id.as_str(), debian.version_id.as_deref()),
        ("debian", Some("12"))
    );
    let testing = parse_debian_version("trixie/sid\n").unwrap();
    assert_eq!(testing.version_id, None);
    assert_eq!(testing.version_codename.as_deref(), Some("trixie"));
}

#[test]
fn preference_orders_the_files() {
    assert!(preference("/etc/os-release") < preference("/usr/lib/os-release"));
    assert!(preference("/usr/lib/os-release") < preference("/etc/alpine-release"));
    assert!(preference("/etc/alpine-release") < preference("/etc/debian_version"));
    assert_eq!(preference("/etc/issue"), None);
}

#[test]
fn analyze_picks_the_parser_by_path() {
    let findings = OsReleaseAnalyzer
        .analyze(&FileInput {
            path: "/etc/debian_version",
            contents: b"11.9\n",
        })
        .unwrap();
    assert_eq!(findings.os.unwrap().version_id.as_deref(), Some("11"));
    let empty = OsReleaseAnalyzer
        .analyze(&FileInput {
            path: "/etc/os-release",
            contents: b"",
        })
        .unwrap();
    assert_eq!(
        empty.warnings,
        ["os-release: /etc/os-release names no operating system"]
    );
}
