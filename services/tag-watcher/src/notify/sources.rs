//! The two spellings of `[service.notifications]`'s sources: a TOML list
//! (`[[service.notifications.sources]]` with a `name` each), or a table
//! keyed by name. Only the table can come from the environment, which has
//! no way to write a list of tables.

use std::fmt;

use serde::Deserializer;
use serde::de::{Error, MapAccess, SeqAccess, Visitor};

use super::NotificationSource;

/// Reads either spelling into one list; every source ends up named.
pub(super) fn deserialize<'de, D: Deserializer<'de>>(
    de: D,
) -> Result<Vec<NotificationSource>, D::Error> {
    de.deserialize_any(Sources)
}

struct Sources;

impl<'de> Visitor<'de> for Sources {
    type Value = Vec<NotificationSource>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of notification sources, or a table of them by name")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut sources = Vec::new();
        while let Some(source) = seq.next_element::<NotificationSource>()? {
            if source.name.trim().is_empty() {
                return Err(A::Error::custom("a notification source needs a name"));
            }
            sources.push(source);
        }
        Ok(sources)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut sources = Vec::new();
        while let Some((key, mut source)) = map.next_entry::<String, NotificationSource>()? {
            if source.name.is_empty() {
                source.name = key;
            } else if source.name != key {
                return Err(A::Error::custom(format!(
                    "notification source {key:?} is named {:?}: \
                     leave the name out, the key names it",
                    source.name
                )));
            }
            sources.push(source);
        }
        sources.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(sources)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use secrecy::ExposeSecret as _;
    use tagwarden_runtime::ServiceConfig;
    use tagwarden_runtime::config::load_from;

    use crate::notify::{Format, NotificationSettings};
    use crate::settings::Settings;

    fn from_toml(toml: &str) -> Result<NotificationSettings, config::ConfigError> {
        config::Config::builder()
            .add_source(config::File::from_str(toml, config::FileFormat::Toml))
            .build()?
            .try_deserialize()
    }

    #[test]
    fn the_environment_sets_sources_by_name() {
        let env: HashMap<String, String> = [
            ("LISTEN", "0.0.0.0:50063"),
            ("SOURCES__REGISTRY__FORMAT", "distribution"),
            ("SOURCES__REGISTRY__SECRET", "Bearer s3cret"),
            ("SOURCES__GAR__FORMAT", "artifact-registry"),
            ("SOURCES__GAR__REGISTRY", "europe-west1-docker.pkg.dev"),
            ("SOURCES__GAR__SECRET", "t0ken"),
        ]
        .into_iter()
        .map(|(k, v)| {
            (
                format!("TAGWARDEN_SERVICE__NOTIFICATIONS__{k}"),
                v.to_owned(),
            )
        })
        .collect();
        let config: ServiceConfig<Settings> = load_from(None, Some(env)).unwrap();
        let settings = config.service.notifications;
        assert_eq!(settings.listen, Some("0.0.0.0:50063".parse().unwrap()));
        let [gar, registry] = settings.sources.as_slice() else {
            panic!("{:?}", settings.sources);
        };
        assert_eq!(gar.name, "gar");
        assert_eq!(gar.format, Format::ArtifactRegistry);
        assert_eq!(gar.registry.as_deref(), Some("europe-west1-docker.pkg.dev"));
        assert_eq!(registry.name, "registry");
        assert_eq!(registry.header, "Authorization");
        assert_eq!(registry.secret.expose_secret(), "Bearer s3cret");
    }

    #[test]
    fn a_list_needs_names_and_a_table_needs_none() {
        let listed = from_toml(
            r#"
            [[sources]]
            name = "local"
            format = "distribution"
            secret = "x"
            "#,
        )
        .unwrap();
        assert_eq!(listed.sources[0].name, "local");
        let unnamed = from_toml(
            r#"
            [[sources]]
            format = "distribution"
            secret = "x"
            "#,
        )
        .unwrap_err();
        assert!(unnamed.to_string().contains("needs a name"), "{unnamed}");
        let renamed = from_toml(
            r#"
            [sources.local]
            name = "other"
            format = "distribution"
            secret = "x"
            "#,
        )
        .unwrap_err();
        assert!(
            renamed.to_string().contains("the key names it"),
            "{renamed}"
        );
    }
}
