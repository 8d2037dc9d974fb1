//! Files too large to hold ([`file::stream`]): checked as they are read from the disk in
//! slices, then sent from the disk a block at a time.

use dfu_flasher::core::file::{self, FileError, FirmwareFile, ParseOptions, Scan};
use dfu_flasher::driver::{Source, SourceRead};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

/// Slice read at a time while checking a file.
const SLICE: usize = 1 << 20;

/// Read the file at `path` of `len` bytes in slices and check it.
pub fn scan(path: &str, len: u64, opts: &ParseOptions) -> Result<FirmwareFile, FileError> {
    // A file larger than any firmware is refused before any of it is read.
    let mut scan = Scan::new(len)?;
    let mut f = File::open(path).map_err(|_| FileError::Changed { size: len, read: 0 })?;
    let mut buf = vec![0; SLICE];
    loop {
        match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => scan.feed(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    scan.finish(path, opts)
}

/// SHA-256 of the first `len` bytes of the file at `path`, read in slices.
pub fn sha256_prefix(path: &str, len: u64) -> Option<String> {
    let mut f = File::open(path).ok()?.take(len);
    let mut h = Sha256::new();
    let mut buf = vec![0; SLICE];
    let mut got = 0u64;
    loop {
        let n = f.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        got += n as u64;
    }
    (got == len).then(|| h.finalize().iter().map(|x| format!("{x:02x}")).collect())
}

/// The image's bytes, read from its file as they are sent, a slice ahead.
pub struct FileSource {
    file: File,
    window: Vec<u8>,
    at: u64,
}

impl FileSource {
    pub fn open(path: &str) -> Option<FileSource> {
        File::open(path).ok().map(|file| FileSource {
            file,
            window: Vec::new(),
            at: 0,
        })
    }

    fn fill(&mut self, offset: u64, len: usize) -> Result<(), ()> {
        self.file.seek(SeekFrom::Start(offset)).map_err(|_| ())?;
        self.window.clear();
        (&mut self.file)
            .take(SLICE.max(len) as u64)
            .read_to_end(&mut self.window)
            .map_err(|_| ())?;
        self.at = offset;
        Ok(())
    }
}

impl Source for FileSource {
    fn read(&mut self, offset: u64, len: usize) -> SourceRead<'_> {
        let inside = offset >= self.at && offset + len as u64 <= self.at + self.window.len() as u64;
        let r = if inside {
            Ok(())
        } else {
            self.fill(offset, len)
        }
        .map(|()| {
            let from = (offset - self.at) as usize;
            let to = (from + len).min(self.window.len());
            self.window.get(from..to).unwrap_or_default().to_vec()
        });
        Box::pin(std::future::ready(r))
    }
}

/// Whether a file of `len` bytes is checked and sent in slices.
pub fn streamed(len: u64) -> bool {
    file::stream::streamed(len)
}
