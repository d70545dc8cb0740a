//! The per-layer cache: a second image sharing base layers analyzes only
//! its new layers, a re-scan analyzes nothing, and bumping one analyzer's
//! version re-runs only that analyzer. Proven by counting invocations.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use tagwarden_engine::analyzer::{AnalyzeError, Analyzer, FileInput, FileMeta, Findings};
use tagwarden_engine::analyzers::{DpkgAnalyzer, PythonAnalyzer};
use tagwarden_engine::engine::{Engine, EngineConfig};

/// Wraps an analyzer, counting `analyze` calls, with a version of choice.
#[derive(Debug)]
struct Counting {
    inner: Box<dyn Analyzer>,
    version: u32,
    calls: Arc<AtomicUsize>,
}

impl Analyzer for Counting {
    fn name(&self) -> &'static str {
        self.inner.name()
    }
    fn version(&self) -> u32 {
        self.version
    }
    fn wants(&self, file: &FileMeta<'_>) -> bool {
        self.inner.wants(file)
    }
    fn analyze(&self, file: &FileInput<'_>) -> Result<Findings, AnalyzeError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.analyze(file)
    }
}

struct Counted {
    engine: Engine,
    dpkg: Arc<AtomicUsize>,
    python: Arc<AtomicUsize>,
}

fn counted(cache: &std::path::Path, dpkg_version: u32) -> Counted {
    let (dpkg, python) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let analyzers: Vec<Box<dyn Analyzer>> = vec![
        Box::new(Counting {
            inner: Box::new(DpkgAnalyzer),
            version: dpkg_version,
            calls: dpkg.clone(),
        }),
        Box::new(Counting {
            inner: Box::new(PythonAnalyzer),
            version: 1,
            calls: python.clone(),
        }),
    ];
    let engine = Engine::new(EngineConfig {
        cache_dir: Some(cache.to_owned()),
        analyzers,
        ..EngineConfig::default()
    })
    .unwrap();
    Counted {
        engine,
        dpkg,
        python,
    }
}

impl Counted {
    /// (dpkg calls, python calls) since the last look.
    fn take(&self) -> (usize, usize) {
        (
            self.dpkg.swap(0, Ordering::SeqCst),
            self.python.swap(0, Ordering::SeqCst),
        )
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_layers_are_analyzed_once_and_versions_invalidate_only_their_entries() {
    let (Some(base), Some(app)) = (built_image("bookworm-base"), built_image("bookworm-app"))
    else {
        return;
    };
    let base = format!("oci:{}:bookworm-base", base.join("oci").display());
    let app = format!("oci:{}:bookworm-app", app.join("oci").display());
    let cache = tempfile::tempdir().unwrap();
    let v1 = counted(cache.path(), 1);

    // Cold: the base's one layer holds one dpkg status and no Python.
    let cold = scan(&v1.engine, &base).await;
    assert_eq!(v1.take(), (1, 0));
    assert!(cold.layers.iter().all(|l| !l.from_cache));

    // The app shares layer 0: only layers 1-3 are read (11 METADATA files
    // in layer 1, the rewritten status in layer 3).
    let first = scan(&v1.engine, &app).await;
    assert_eq!(v1.take(), (1, 11));
    let from_cache: Vec<bool> = first.layers.iter().map(|l| l.from_cache).collect();
    assert_eq!(from_cache, [true, false, false, false]);

    // A re-scan (a retag of the same image) reads nothing at all.
    let again = scan(&v1.engine, &app).await;
    assert_eq!(v1.take(), (0, 0));
    assert!(again.layers.iter().all(|l| l.from_cache));
    assert_eq!(again.inventory, first.inventory);

    // dpkg v2: dpkg runs again on every layer with a status; Python's
    // cached results are reused.
    let v2 = counted(cache.path(), 2);
    let bumped = scan(&v2.engine, &app).await;
    assert_eq!(v2.take(), (2, 0));
    assert_eq!(bumped.inventory, first.inventory);
    let cached = scan(&v2.engine, &app).await;
    assert_eq!(v2.take(), (0, 0));
    assert_eq!(cached.inventory, first.inventory);
}
