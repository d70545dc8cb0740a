//! Readers the layer pipeline is built from: bytes arriving over a channel
//! from the network task, hashing as they pass, and decompression chosen
//! by media type and checked against the stream's first bytes.

use std::io::{self, Read};

use bytes::{Buf, Bytes};
use sha2::{Digest as _, Sha256};
use tokio::sync::mpsc;

/// One message from the download task: a chunk, or word that the download
/// failed (the task keeps the error itself for the engine to report).
pub(crate) type Chunk = Result<Bytes, ()>;

/// Blocking `Read` over chunks sent by an async task, so decompression and
/// tar parsing run on a blocking thread while the download runs on the
/// runtime, with the channel's capacity bounding what sits in memory.
#[derive(Debug)]
pub(crate) struct ChannelReader {
    chunks: mpsc::Receiver<Chunk>,
    current: Bytes,
}

impl ChannelReader {
    pub(crate) fn new(chunks: mpsc::Receiver<Chunk>) -> Self {
        Self {
            chunks,
            current: Bytes::new(),
        }
    }
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.chunks.blocking_recv() {
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(())) => return Err(io::Error::other("the layer download failed")),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current.advance(n);
        Ok(n)
    }
}

/// Hashes everything read through it with SHA-256, or only counts bytes
/// when hashing is not needed (the registry client verifies its blobs).
#[derive(Debug)]
pub(crate) struct HashingReader<R> {
    inner: R,
    hasher: Option<Sha256>,
    bytes: u64,
}

impl<R: Read> HashingReader<R> {
    pub(crate) fn new(inner: R, hash: bool) -> Self {
        Self {
            inner,
            hasher: hash.then(Sha256::new),
            bytes: 0,
        }
    }

    /// Reads whatever is left (so the hash covers the whole stream), then
    /// returns `sha256:<hex>` (empty when not hashing) and the byte count.
    pub(crate) fn finish(mut self) -> io::Result<(String, u64)> {
        io::copy(&mut self, &mut io::sink())?;
        let digest = self
            .hasher
            .map(|h| format!("sha256:{}", hex::encode(h.finalize())))
            .unwrap_or_default();
        Ok((digest, self.bytes))
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(hasher) = &mut self.hasher {
            hasher.update(&buf[..n]);
        }
        self.bytes += n as u64;
        Ok(n)
    }
}

/// How a layer blob is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compression {
    /// A plain tar.
    None,
    /// gzip (possibly several members, as `pigz` writes).
    Gzip,
    /// Zstandard.
    Zstd,
}

impl Compression {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Compression::None => "uncompressed tar",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }

    /// The compression a layer media type declares. `Ok(None)` when there
    /// is no media type (`docker save` archives): the first bytes decide.
    /// `Err` for media types that are not filesystem layers.
    pub(crate) fn from_media_type(media_type: &str) -> Result<Option<Compression>, ()> {
        const TAR: [&str; 4] = [
            "application/vnd.oci.image.layer.v1.tar",
            "application/vnd.oci.image.layer.nondistributable.v1.tar",
            "application/vnd.docker.image.rootfs.diff.tar",
            "application/vnd.docker.image.rootfs.foreign.diff.tar",
        ];
        if media_type.is_empty() {
            return Ok(None);
        }
        for base in TAR {
            let Some(suffix) = media_type.strip_prefix(base) else {
                continue;
            };
            return match suffix {
                "" => Ok(Some(Compression::None)),
                "+gzip" | ".gzip" => Ok(Some(Compression::Gzip)),
                "+zstd" => Ok(Some(Compression::Zstd)),
                _ => Err(()),
            };
        }
        Err(())
    }

    /// What the first bytes of a blob say.
    pub(crate) fn sniff(prefix: &[u8]) -> Compression {
        if prefix.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if prefix.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

/// Reads up to four bytes from the front of `reader` (fewer only at end of
/// stream), returning them and a reader that yields the whole stream.
pub(crate) fn peek<R: Read>(mut reader: R) -> io::Result<(Vec<u8>, impl Read)> {
    let mut prefix = [0u8; 4];
    let mut filled = 0;
    while filled < prefix.len() {
        match reader.read(&mut prefix[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    let prefix = prefix[..filled].to_vec();
    Ok((prefix.clone(), Read::chain(io::Cursor::new(prefix), reader)))
}

/// The decompressed stream. Buffers the compressed side, since the
/// decoders read in small pieces.
pub(crate) fn decoder<'a, R: Read + Send + 'a>(
    compression: Compression,
    reader: R,
) -> io::Result<Box<dyn Read + Send + 'a>> {
    let buffered = io::BufReader::with_capacity(128 * 1024, reader);
    Ok(match compression {
        Compression::None => Box::new(buffered),
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(buffered)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(buffered)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types() {
        let t = Compression::from_media_type;
        assert_eq!(
            t("application/vnd.oci.image.layer.v1.tar"),
            Ok(Some(Compression::None))
        );
        assert_eq!(
            t("application/vnd.oci.image.layer.v1.tar+gzip"),
            Ok(Some(Compression::Gzip))
        );
        assert_eq!(
            t("application/vnd.oci.image.layer.v1.tar+zstd"),
            Ok(Some(Compression::Zstd))
        );
        assert_eq!(
            t("application/vnd.docker.image.rootfs.diff.tar.gzip"),
            Ok(Some(Compression::Gzip))
        );
        assert_eq!(t(""), Ok(None));
        assert_eq!(t("application/vnd.oci.image.layer.v1.tar+bzip2"), Err(()));
        assert_eq!(
            t("application/vnd.cncf.helm.chart.content.v1.tar+gzip"),
            Err(())
        );
    }

    #[test]
    fn sniffs_magic_bytes() {
        assert_eq!(Compression::sniff(&[0x1f, 0x8b, 8, 0]), Compression::Gzip);
        assert_eq!(
            Compression::sniff(&[0x28, 0xb5, 0x2f, 0xfd]),
            Compression::Zstd
        );
        assert_eq!(Compression::sniff(b"etc/"), Compression::None);
    }

    #[test]
    fn hashing_reader_covers_the_rest_of_the_stream() {
        let mut reader = HashingReader::new(&b"abc"[..], true);
        let mut one = [0u8; 1];
        reader.read_exact(&mut one).unwrap();
        let (digest, bytes) = reader.finish().unwrap();
        assert_eq!(bytes, 3);
        assert_eq!(
            digest,
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn peek_keeps_the_stream_whole() {
        let (prefix, mut rest) = peek(&b"hello"[..]).unwrap();
        assert_eq!(prefix, b"hell");
        let mut all = String::new();
        rest.read_to_string(&mut all).unwrap();
        assert_eq!(all, "hello");
    }

    #[test]
    fn channel_reader_reads_chunks_then_reports_failure() {
        let (tx, rx) = mpsc::channel(4);
        tx.try_send(Ok(Bytes::from_static(b"ab"))).unwrap();
        tx.try_send(Ok(Bytes::from_static(b"c"))).unwrap();
        tx.try_send(Err(())).unwrap();
        let mut reader = ChannelReader::new(rx);
        let mut buf = [0u8; 8];
        assert_eq!(reader.read(&mut buf).unwrap(), 2);
        assert_eq!(reader.read(&mut buf).unwrap(), 1);
        assert!(reader.read(&mut buf).is_err());
    }
}
