use super::*;

fn entry(digest: &str, platform: Option<&str>, annotations: &[(&str, &str)]) -> Descriptor {
    let json = serde_json::json!({
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": digest,
        "platform": platform.map(|p| {
            let parts: Vec<&str> = p.split('/').collect();
            serde_json::json!({"os": parts[0], "architecture": parts[1], "variant": parts.get(2)})
        }),
        "annotations": annotations.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect::<BTreeMap<_, _>>(),
    });
    serde_json::from_value(json).unwrap()
}

fn pick(entries: &[Descriptor], wanted: &str) -> Result<String, Vec<String>> {
    pick_platform(entries, &wanted.parse().unwrap()).map(|d| d.digest)
}

#[test]
fn picks_platforms_and_skips_attestations() {
    let entries = [
        entry(
            "att",
            Some("unknown/unknown"),
            &[("vnd.docker.reference.type", "attestation-manifest")],
        ),
        entry("amd", Some("linux/amd64"), &[]),
        entry("arm", Some("linux/arm64/v8"), &[]),
    ];
    assert_eq!(pick(&entries, "linux/amd64"), Ok("amd".into()));
    assert_eq!(pick(&entries, "linux/arm64"), Ok("arm".into()));
    assert_eq!(
        pick(&entries, "linux/s390x"),
        Err(vec!["linux/amd64".to_owned(), "linux/arm64/v8".to_owned()])
    );
    // One image without a platform is taken whatever was asked for.
    assert_eq!(
        pick(&[entry("only", None, &[])], "linux/arm64"),
        Ok("only".into())
    );
}

#[test]
fn entries_by_tag() {
    let entries = vec![
        entry("a", None, &[("org.opencontainers.image.ref.name", "v1")]),
        entry(
            "b",
            None,
            &[("io.containerd.image.name", "docker.io/library/app:v2")],
        ),
    ];
    let digests = |tag| {
        entries_for_tag(entries.clone(), tag)
            .map(|e| e.into_iter().map(|d| d.digest).collect::<Vec<_>>())
    };
    assert_eq!(digests(Some("v1")), Ok(vec!["a".to_owned()]));
    assert_eq!(digests(Some("app:v2")), Ok(vec!["b".to_owned()]));
    assert_eq!(digests(None).unwrap().len(), 2);
    assert_eq!(
        digests(Some("v3")),
        Err("no image tagged \"v3\" (tags: v1)".to_owned())
    );
}

#[test]
fn manifests_refuse_schema1_and_other_media_types() {
    let schema1 = br#"{"schemaVersion": 1, "fsLayers": []}"#;
    assert_eq!(
        parse_manifest(schema1, "").unwrap_err(),
        ManifestProblem::Schema1
    );
    let helm = br#"{"schemaVersion": 2, "mediaType": "application/vnd.cncf.helm.config.v1+json", "config": {"digest": "x"}}"#;
    assert!(matches!(
        parse_manifest(helm, "").unwrap_err(),
        ManifestProblem::MediaType(_)
    ));
    let ok = br#"{"schemaVersion": 2, "config": {"digest": "c"}, "layers": [{"mediaType": "m", "digest": "l"}]}"#;
    let manifest = parse_manifest(ok, DOCKER_MANIFEST).unwrap();
    assert_eq!(
        (manifest.config.digest.as_str(), manifest.layers.len()),
        ("c", 1)
    );
}

#[test]
fn config_diff_ids_and_platform() {
    let config = br#"{"os": "linux", "architecture": "arm64", "variant": "v8", "rootfs": {"type": "layers", "diff_ids": ["sha256:a"]}}"#;
    let parsed = parse_config(config).unwrap();
    assert_eq!(parsed.diff_ids, ["sha256:a"]);
    assert_eq!(parsed.platform.as_deref(), Some("linux/arm64/v8"));
    assert_eq!(
        parse_config(b"{}").unwrap_err(),
        "image config has no rootfs"
    );
}

#[test]
fn archive_images_by_reference() {
    let manifest = br#"[
        {"Config": "a.json", "RepoTags": ["app:v1"], "Layers": ["a/layer.tar"]},
        {"Config": "b.json", "RepoTags": ["other:latest"], "Layers": []}
    ]"#;
    assert_eq!(
        pick_archive_image(manifest, Some("app:v1")).unwrap().config,
        "a.json"
    );
    assert_eq!(
        pick_archive_image(manifest, Some("latest")).unwrap().config,
        "b.json"
    );
    let err = pick_archive_image(manifest, None).unwrap_err();
    assert_eq!(
        err,
        "the archive holds 2 images; name one of: app:v1, other:latest"
    );
}
