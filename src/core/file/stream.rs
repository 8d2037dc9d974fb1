//! Files too large to hold in memory: raw and DFU-suffixed images up to [`MAX_STREAM`].
//!
//! [`Scan`] is told the file's length, fed the file in order in slices of any size
//! (the page reads a `File` with `Blob.slice`, the command line reads the disk), and
//! keeps only the first [`HEAD`] bytes, the last 16 and a running CRC: what it needs to
//! tell the format, check the DFU suffix and recognise a file that is not firmware. The
//! image is then sent from the file itself, a block at a time ([`super::Image::Stream`]).

use super::suffix::{self, Suffix, SUFFIX_LEN};
use super::{FileError, FirmwareFile, Image, ParseOptions, MAX_FILE};

/// The largest file accepted: 4 GiB, the most a 32-bit address space or a U-Boot
/// partition image written over DFU holds.
pub const MAX_STREAM: u64 = 4 << 30;

/// How much of a file's start is kept: enough to recognise web pages, archives and
/// other files that are not firmware, and to check a vector table.
pub const HEAD: usize = 64 << 10;

/// An image sent from its file: the first `len` bytes of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Streamed {
    /// Bytes of image (the file without its suffix).
    pub len: u64,
    /// The image's first bytes (at most [`HEAD`]).
    pub head: Vec<u8>,
}

/// A file being read in order to check it.
#[derive(Debug, Clone)]
pub struct Scan {
    len: u64,
    seen: u64,
    /// JAMCRC of every byte but the last four (what a suffix's dwCRC covers).
    crc: u32,
    head: Vec<u8>,
    /// The last bytes seen, at most 16.
    tail: Vec<u8>,
}

/// Whether a file of `len` bytes is read in slices ([`Scan`]) rather than whole
/// ([`super::parse`]).
pub fn streamed(len: u64) -> bool {
    len > MAX_FILE as u64
}

impl Scan {
    /// Start checking a file of `len` bytes: a file larger than [`MAX_STREAM`] is
    /// refused before any of it is read.
    pub fn new(len: u64) -> Result<Scan, FileError> {
        if len == 0 {
            return Err(FileError::Empty);
        }
        if len > MAX_STREAM {
            return Err(FileError::TooLarge {
                size: len,
                limit: MAX_STREAM,
            });
        }
        Ok(Scan {
            len,
            seen: 0,
            crc: 0xFFFF_FFFF,
            head: Vec::new(),
            tail: Vec::with_capacity(2 * SUFFIX_LEN),
        })
    }

    /// The next slice of the file. Bytes past the stated length are counted, so that
    /// [`Scan::finish`] can say the file changed while it was read.
    pub fn feed(&mut self, chunk: &[u8]) {
        let n = HEAD.saturating_sub(self.head.len()).min(chunk.len());
        self.head.extend_from_slice(&chunk[..n]);
        // The CRC covers the file up to its last four bytes.
        let crc_end = self.len.saturating_sub(4);
        let covered = crc_end.saturating_sub(self.seen).min(chunk.len() as u64) as usize;
        self.crc = suffix::jamcrc_update(self.crc, &chunk[..covered]);
        let keep = chunk.len().min(SUFFIX_LEN);
        self.tail.extend_from_slice(&chunk[chunk.len() - keep..]);
        let excess = self.tail.len().saturating_sub(SUFFIX_LEN);
        self.tail.drain(..excess);
        self.seen += chunk.len() as u64;
    }

    /// The file is read: what it is, or why it cannot be used. `name` is the file's
    /// name (a `.dfu` file must carry a suffix, as in [`super::parse_named`]).
    pub fn finish(self, name: &str, opts: &ParseOptions) -> Result<FirmwareFile, FileError> {
        if self.seen != self.len {
            // The file is not the length it had when it was chosen.
            return Err(FileError::Changed {
                size: self.len,
                read: self.seen,
            });
        }
        let mut warnings = Vec::new();
        let (suffix, payload) = match self.suffix() {
            None => (None, self.len),
            Some(Err(length)) => return Err(FileError::BadSuffixLength { length }),
            Some(Ok(s)) => {
                super::check_suffix(&s, opts, &mut warnings)?;
                (Some(s), self.len - u64::from(s.length))
            }
        };
        let head_len = self
            .head
            .len()
            .min(usize::try_from(payload).unwrap_or(HEAD));
        let head = &self.head[..head_len];
        // DfuSe containers and HEX files are parsed whole: one this large is not firmware
        // for any USB device.
        if head.starts_with(b"DfuSe") || super::looks_like_hex(head) {
            return Err(FileError::TooLarge {
                size: self.len,
                limit: MAX_FILE as u64,
            });
        }
        let f = super::plain(payload == 0, head, suffix, warnings, || {
            Image::Stream(Streamed {
                len: payload,
                head: head.to_vec(),
            })
        })?;
        if super::dfu_name(name) && suffix.is_none() {
            return Err(FileError::DfuWithoutSuffix);
        }
        Ok(f)
    }

    /// The suffix in the last 16 bytes, with the CRC computed over the file.
    fn suffix(&self) -> Option<Result<Suffix, u8>> {
        suffix::read(&self.tail, self.len, self.crc).map(|r| r.map(|(s, _)| s))
    }
}
