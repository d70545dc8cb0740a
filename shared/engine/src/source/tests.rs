use super::*;

#[test]
fn parses_command_line_images() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.json"), "{}").unwrap();
    let archive = dir.path().join("image.tar");
    std::fs::write(&archive, "").unwrap();
    let d = dir.path().display();

    let parse = |s: &str| s.parse::<ImageSource>().unwrap();
    assert_eq!(
        parse(&format!("oci:{d}")),
        ImageSource::Layout {
            dir: dir.path().into(),
            tag: None
        }
    );
    assert_eq!(
        parse(&format!("oci:{d}:v1")),
        ImageSource::Layout {
            dir: dir.path().into(),
            tag: Some("v1".into())
        }
    );
    assert_eq!(
        parse(&d.to_string()),
        ImageSource::Layout {
            dir: dir.path().into(),
            tag: None
        }
    );
    assert_eq!(
        parse(&format!("docker-archive:{}:app:v1", archive.display())),
        ImageSource::Archive {
            file: archive.clone(),
            reference: Some("app:v1".into())
        }
    );
    assert_eq!(
        parse(&archive.display().to_string()),
        ImageSource::Archive {
            file: archive,
            reference: None
        }
    );
    let ImageSource::Registry(image) = parse("127.0.0.1:5000/team/app:v1") else {
        panic!()
    };
    assert_eq!(image.tag(), Some("v1"));
    assert!(matches!(parse("docker://alpine"), ImageSource::Registry(_)));
    assert!("not an image!".parse::<ImageSource>().is_err());
}

#[test]
fn displays_as_parsed() {
    for s in [
        "oci:/x/layout:v1",
        "docker-archive:/x/a.tar",
        "127.0.0.1:5000/team/app:v1",
    ] {
        assert_eq!(s.parse::<ImageSource>().unwrap().to_string(), s);
    }
}
