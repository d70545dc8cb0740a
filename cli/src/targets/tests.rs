use super::*;

fn target(id: &str, registry: &str, repository: &str, rule: &str) -> Target {
    Target {
        id: id.into(),
        integration_id: "int-1".into(),
        registry: registry.into(),
        repository: repository.into(),
        tag_rule: rule.into(),
        name: format!("{repository}:{rule}"),
        created_at: Some(prost_types::Timestamp {
            seconds: 1_772_366_400,
            nanos: 0,
        }),
        deleted_at: None,
    }
}

fn live() -> Vec<Target> {
    vec![
        target("t1", "reg.a:5000", "acme/app", "latest"),
        target("t2", "reg.b", "acme/app", "latest"),
        target("t3", "reg.a:5000", "acme/api", "v*"),
    ]
}

#[test]
fn add_rule_finds_the_image_of_a_target_id_or_name() {
    let live = live();
    assert_eq!(
        pick_image(&live, "t1"),
        Pick::Image("reg.a:5000/acme/app".into())
    );
    assert_eq!(
        pick_image(&live, "acme/api:v*"),
        Pick::Image("reg.a:5000/acme/api".into())
    );
}

#[test]
fn add_rule_takes_an_image_that_has_targets_as_it_is() {
    let live = live();
    assert_eq!(
        pick_image(&live, "reg.b/acme/app"),
        Pick::Image("reg.b/acme/app".into())
    );
    assert_eq!(
        pick_image(&live, "acme/api"),
        Pick::Image("acme/api".into())
    );
}

#[test]
fn add_rule_refuses_a_shared_name_and_an_image_without_targets() {
    let live = live();
    assert_eq!(
        pick_image(&live, "acme/app:latest"),
        Pick::Ambiguous(vec!["reg.a:5000/acme/app".into(), "reg.b/acme/app".into()])
    );
    assert_eq!(pick_image(&live, "acme/web"), Pick::Nothing);
    assert_eq!(
        nothing("acme/web").message(),
        "\"acme/web\" is neither a target nor an image with targets; give an image its \
         first targets with `tagwardenctl targets add acme/web --rule RULE`"
    );
}

#[test]
fn the_listing_shows_id_name_registry_and_dates() {
    let mut deleted = target("t9", "reg.a:5000", "acme/app", "v*");
    deleted.deleted_at = Some(prost_types::Timestamp {
        seconds: 1_772_370_000,
        nanos: 0,
    });
    let rows = views(vec![
        target("t1", "reg.a:5000", "acme/app", "latest"),
        deleted,
    ]);
    assert_eq!(
        output::render(&rows, Format::Table).unwrap(),
        "ID  NAME             REGISTRY    CREATED                  DELETED\n\
         t1  acme/app:latest  reg.a:5000  2026-03-01 12:00:00 UTC  -\n\
         t9  acme/app:v*      reg.a:5000  2026-03-01 12:00:00 UTC  2026-03-01 13:00:00 UTC\n"
    );
}

#[test]
fn json_rows_carry_every_field() {
    let rows = views(vec![target("t1", "reg.a:5000", "acme/app", "latest")]);
    let value: serde_json::Value =
        serde_json::from_str(&output::render(&rows, Format::Json).unwrap()).unwrap();
    assert_eq!(
        value,
        serde_json::json!([{
            "id": "t1",
            "name": "acme/app:latest",
            "registry": "reg.a:5000",
            "repository": "acme/app",
            "tag_rule": "latest",
            "integration_id": "int-1",
            "created_at": "2026-03-01T12:00:00Z",
            "deleted_at": null
        }])
    );
}

#[test]
fn a_deletion_says_until_when_the_seat_is_locked() {
    let view = Deleted {
        target: Some(TargetView::from(target("t1", "r", "acme/app", "latest"))),
        seat_locked_until: Some("2026-03-31T12:00:00Z".parse().unwrap()),
    };
    assert_eq!(
        view.table(),
        "deleted target acme/app:latest (t1); its licence seat is locked until \
         2026-03-31 12:00:00 UTC\n"
    );
}
