use super::*;

fn at(seconds: i64) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp { seconds, nanos: 0 })
}

fn integration(ok: bool) -> Integration {
    Integration {
        id: "i-1".into(),
        name: "local".into(),
        provider: "oci".into(),
        account: String::new(),
        registry: "127.0.0.1:5000".into(),
        settings: [("repositories".to_owned(), "acme/app".to_owned())].into(),
        credential_ref: String::new(),
        last_sync: Some(SyncResult {
            started_at: at(1_772_366_400),
            finished_at: at(1_772_366_402),
            ok,
            error: if ok {
                String::new()
            } else {
                "401 from registry".into()
            },
            repositories: 3,
            tags: 7,
            discovered: 2,
            removed: 0,
        }),
    }
}

#[test]
fn the_listing_shows_the_last_sync() {
    let views = vec![
        IntegrationView::from(integration(true)),
        IntegrationView::from(Integration {
            id: "i-2".into(),
            last_sync: None,
            ..integration(false)
        }),
        IntegrationView::from(Integration {
            id: "i-3".into(),
            ..integration(false)
        }),
    ];
    assert_eq!(
        output::render(&views, Format::Table).unwrap(),
        "ID   NAME   PROVIDER  ACCOUNT  REGISTRY        LAST SYNC                \
         RESULT                     REPOS  TAGS\n\
         i-1  local  oci       -        127.0.0.1:5000  2026-03-01 12:00:02 UTC  \
         ok                         3      7\n\
         i-2  local  oci       -        127.0.0.1:5000  -                        \
         -                          -      -\n\
         i-3  local  oci       -        127.0.0.1:5000  2026-03-01 12:00:02 UTC  \
         failed: 401 from registry  3      7\n"
    );
}

#[test]
fn a_sync_reports_its_counts_and_duration() {
    let sync = SyncView::from(integration(true).last_sync.unwrap());
    assert_eq!(
        sync.table(),
        "synced 3 repositories, 7 tags in 2.000 s; 2 images announced, 0 removed\n"
    );
}

#[test]
fn json_keeps_settings_and_the_sync() {
    let views = vec![IntegrationView::from(integration(true))];
    let value: serde_json::Value =
        serde_json::from_str(&output::render(&views, Format::Json).unwrap()).unwrap();
    assert_eq!(value[0]["settings"]["repositories"], "acme/app");
    assert_eq!(value[0]["last_sync"]["finished_at"], "2026-03-01T12:00:02Z");
    assert_eq!(value[0]["last_sync"]["discovered"], 2);
}

#[test]
fn settings_are_key_value() {
    assert_eq!(
        key_value("region=eu-west-1"),
        Ok(("region".into(), "eu-west-1".into()))
    );
    assert_eq!(key_value("a=b=c"), Ok(("a".into(), "b=c".into())));
    assert!(key_value("=x").is_err());
    assert!(key_value("region").is_err());
}
