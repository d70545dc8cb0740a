//! One layer of one scan: from the cache when possible, else streamed
//! through the layer pipeline on a blocking thread.

use std::io::{self, Read};
use std::sync::Arc;

use futures::StreamExt;
use tokio::sync::mpsc;

use super::{Inner, Progress, ScanError};
use crate::analyzer::Analyzer;
use crate::layer::{
    self, AnalyzerResult, BlobSpec, ChannelReader, LayerError, LayerOutput, LayerShape,
};
use crate::source::local::{Location, open_location};
use crate::source::{Blob, ImageProvider, LayerDescriptor};

/// Chunks in flight between the download and the blocking thread.
const CHANNEL_CHUNKS: usize = 16;

/// A layer's shape and one result per analyzer, in the engine's order.
#[derive(Debug)]
pub(super) struct LayerAnalysis {
    pub(super) diff_id: String,
    pub(super) shape: LayerShape,
    pub(super) results: Vec<AnalyzerResult>,
    pub(super) from_cache: bool,
}

pub(super) async fn analyze_layer(
    inner: &Inner,
    provider: &dyn ImageProvider,
    index: usize,
    layer: &LayerDescriptor,
) -> Result<LayerAnalysis, ScanError> {
    let diff_id = &layer.diff_id;
    let mut results: Vec<Option<AnalyzerResult>> = inner
        .analyzers
        .iter()
        .map(|a| inner.cache.result(diff_id, a.name(), a.version()))
        .collect();
    let needed: Vec<usize> = (0..results.len())
        .filter(|&i| results[i].is_none())
        .collect();
    let cached_shape = inner.cache.shape(diff_id);
    if let (true, Some(shape)) = (needed.is_empty(), &cached_shape) {
        if let Some(progress) = &inner.progress {
            progress.layer_finished(&layer.digest, layer.size, true);
        }
        return Ok(LayerAnalysis {
            diff_id: diff_id.clone(),
            shape: shape.clone(),
            results: results.into_iter().flatten().collect(),
            from_cache: true,
        });
    }
    tracing::debug!(layer = index, digest = %layer.digest, analyzers = needed.len(), "analyzing layer");
    if let Some(progress) = &inner.progress {
        progress.layer_started(&layer.digest, layer.size);
    }
    let blob = provider.open(layer).await?;
    let image = provider.name();
    let output = run_blob(inner, blob, layer, needed.clone())
        .await
        .map_err(|e| e.into_scan_error(&image, index, layer))?;
    if output.diff_id != *diff_id {
        return Err(ScanError::DigestMismatch {
            image,
            what: format!("layer {index} ({}) diff id", layer.digest),
            expected: diff_id.clone(),
            actual: output.diff_id,
        });
    }
    if cached_shape.is_none() {
        inner.cache.put_shape(diff_id, &output.shape);
    }
    for (&i, result) in needed.iter().zip(output.results) {
        let analyzer = &inner.analyzers[i];
        inner
            .cache
            .put_result(diff_id, analyzer.name(), analyzer.version(), &result);
        results[i] = Some(result);
    }
    if let Some(progress) = &inner.progress {
        progress.layer_finished(&layer.digest, layer.size, false);
    }
    Ok(LayerAnalysis {
        diff_id: diff_id.clone(),
        shape: output.shape,
        results: results.into_iter().flatten().collect(),
        from_cache: false,
    })
}

/// Why running a blob failed: the pipeline's verdict, or the source's.
enum RunError {
    Layer(LayerError),
    Source(ScanError),
    Io(io::Error),
    Panicked(String),
}

impl RunError {
    fn into_scan_error(self, image: &str, index: usize, layer: &LayerDescriptor) -> ScanError {
        let image = image.to_owned();
        let digest = layer.digest.clone();
        match self {
            RunError::Source(e) => e,
            RunError::Io(source) => ScanError::Io {
                image,
                path: format!("layer {index} ({digest})"),
                source,
            },
            RunError::Panicked(detail) => ScanError::CorruptLayer {
                image,
                layer: digest,
                detail,
            },
            RunError::Layer(LayerError::UnsupportedMediaType(media_type)) => {
                ScanError::UnsupportedMediaType {
                    image,
                    what: format!("layer {index} ({digest})"),
                    media_type,
                }
            }
            RunError::Layer(LayerError::Escape { entry, detail }) => ScanError::PathEscape {
                image,
                layer: digest,
                entry,
                detail: detail.to_owned(),
            },
            RunError::Layer(LayerError::BlobDigest { expected, actual }) => {
                ScanError::DigestMismatch {
                    image,
                    what: format!("layer {index} blob"),
                    expected,
                    actual,
                }
            }
            RunError::Layer(LayerError::Corrupt(detail)) => ScanError::CorruptLayer {
                image,
                layer: digest,
                detail,
            },
        }
    }
}

async fn run_blob(
    inner: &Inner,
    blob: Blob,
    layer: &LayerDescriptor,
    needed: Vec<usize>,
) -> Result<LayerOutput, RunError> {
    let analyzers = Arc::clone(&inner.analyzers);
    let progress = inner.progress.clone();
    let media_type = layer.media_type.clone();
    let verify = layer.verify.clone();
    let max_file = inner.max_file_size;
    let analyze = move |reader: Box<dyn Read + Send>| {
        let refs: Vec<&dyn Analyzer> = needed.iter().map(|&i| analyzers[i].as_ref()).collect();
        let spec = BlobSpec {
            media_type: &media_type,
            verify: verify.as_deref(),
            max_file,
        };
        layer::analyze_blob(reader, spec, &refs)
    };
    match blob {
        Blob::File { path, offset, len } => {
            let location = Location { path, offset, len };
            let task = tokio::task::spawn_blocking(move || {
                let file = open_location(&location).map_err(RunError::Io)?;
                let reader = Counting {
                    inner: file,
                    progress,
                };
                analyze(Box::new(reader)).map_err(RunError::Layer)
            });
            task.await.map_err(|e| RunError::Panicked(e.to_string()))?
        }
        Blob::Stream(mut chunks) => {
            let (tx, rx) = mpsc::channel(CHANNEL_CHUNKS);
            let task = tokio::task::spawn_blocking(move || {
                analyze(Box::new(ChannelReader::new(rx))).map_err(RunError::Layer)
            });
            let pump = async move {
                while let Some(chunk) = chunks.next().await {
                    match chunk {
                        Ok(bytes) => {
                            let n = bytes.len() as u64;
                            if tx.send(Ok(bytes)).await.is_err() {
                                return None;
                            }
                            if let Some(progress) = &progress {
                                progress.advanced(n);
                            }
                        }
                        Err(e) => {
                            let _ = tx.send(Err(())).await;
                            return Some(e);
                        }
                    }
                }
                None
            };
            let (failed, walked) = tokio::join!(pump, task);
            if let Some(e) = failed {
                return Err(RunError::Source(e));
            }
            walked.map_err(|e| RunError::Panicked(e.to_string()))?
        }
    }
}

/// Reports bytes read from a local blob as progress.
struct Counting<R> {
    inner: R,
    progress: Option<Arc<dyn Progress>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(progress) = &self.progress {
            progress.advanced(n as u64);
        }
        Ok(n)
    }
}
