//! Content that is plainly not a firmware image: web pages, text, archives, documents,
//! pictures, programs for a computer. Saving the download page instead of the file is the
//! most common mistake, and flashing it would overwrite the device's application.
//!
//! One table, [`SIGNATURES`], in the order it is tried: the specific signatures first,
//! plain text last. A raw firmware image (machine code, a vector table) never matches:
//! each signature is either a long magic number or a whole file of printable text.

/// What a file is instead of firmware.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotFirmware {
    /// An HTML page (a failed download, an error page, the download page itself).
    Html,
    /// An XML document (also SVG pictures and feeds).
    Xml,
    Json,
    /// A Motorola S-record file (text; not flashed directly).
    Srecord,
    /// Printable text of any other kind.
    Text,
    Zip,
    Gzip,
    SevenZip,
    Rar,
    Xz,
    Bzip2,
    Zstd,
    Tar,
    Pdf,
    /// A Microsoft Office document of the older kind (doc, xls).
    OfficeDocument,
    Png,
    Jpeg,
    Gif,
    Bmp,
    Webp,
    /// An ELF program file: a build output, not a firmware image.
    Elf,
    /// A Windows program (an .exe: often the vendor's own update tool).
    WindowsProgram,
    /// A macOS program (Mach-O).
    MacProgram,
    /// A UF2 file, which is copied onto a device that shows up as a USB drive.
    Uf2,
}

impl NotFirmware {
    /// A stable name for scripts and the CLI's JSON.
    pub fn name(self) -> &'static str {
        match self {
            NotFirmware::Html => "html",
            NotFirmware::Xml => "xml",
            NotFirmware::Json => "json",
            NotFirmware::Srecord => "srecord",
            NotFirmware::Text => "text",
            NotFirmware::Zip => "zip",
            NotFirmware::Gzip => "gzip",
            NotFirmware::SevenZip => "7z",
            NotFirmware::Rar => "rar",
            NotFirmware::Xz => "xz",
            NotFirmware::Bzip2 => "bzip2",
            NotFirmware::Zstd => "zstd",
            NotFirmware::Tar => "tar",
            NotFirmware::Pdf => "pdf",
            NotFirmware::OfficeDocument => "office-document",
            NotFirmware::Png => "png",
            NotFirmware::Jpeg => "jpeg",
            NotFirmware::Gif => "gif",
            NotFirmware::Bmp => "bmp",
            NotFirmware::Webp => "webp",
            NotFirmware::Elf => "elf",
            NotFirmware::WindowsProgram => "windows-program",
            NotFirmware::MacProgram => "mac-program",
            NotFirmware::Uf2 => "uf2",
        }
    }

    /// Is it an archive, which holds the firmware file?
    pub fn is_archive(self) -> bool {
        matches!(
            self,
            NotFirmware::Zip
                | NotFirmware::Gzip
                | NotFirmware::SevenZip
                | NotFirmware::Rar
                | NotFirmware::Xz
                | NotFirmware::Bzip2
                | NotFirmware::Zstd
                | NotFirmware::Tar
        )
    }
}

/// One row of the table: what it is and how to recognise it.
pub struct Signature {
    pub kind: NotFirmware,
    pub matches: fn(&[u8]) -> bool,
}

/// The table, tried in order.
pub const SIGNATURES: &[Signature] = &[
    Signature {
        kind: NotFirmware::Elf,
        matches: |b| b.starts_with(b"\x7fELF"),
    },
    Signature {
        kind: NotFirmware::Zip,
        matches: zip,
    },
    Signature {
        kind: NotFirmware::Gzip,
        matches: |b| b.starts_with(b"\x1f\x8b\x08"),
    },
    Signature {
        kind: NotFirmware::SevenZip,
        matches: |b| b.starts_with(b"7z\xbc\xaf\x27\x1c"),
    },
    Signature {
        kind: NotFirmware::Rar,
        matches: |b| b.starts_with(b"Rar!\x1a\x07"),
    },
    Signature {
        kind: NotFirmware::Xz,
        matches: |b| b.starts_with(b"\xfd7zXZ\x00"),
    },
    Signature {
        kind: NotFirmware::Bzip2,
        matches: bzip2,
    },
    Signature {
        kind: NotFirmware::Zstd,
        matches: |b| b.starts_with(b"\x28\xb5\x2f\xfd"),
    },
    Signature {
        kind: NotFirmware::Tar,
        matches: |b| b.get(257..262) == Some(b"ustar"),
    },
    Signature {
        kind: NotFirmware::Pdf,
        matches: |b| b.starts_with(b"%PDF-"),
    },
    Signature {
        kind: NotFirmware::OfficeDocument,
        matches: |b| b.starts_with(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"),
    },
    Signature {
        kind: NotFirmware::Png,
        matches: |b| b.starts_with(b"\x89PNG\r\n\x1a\n"),
    },
    Signature {
        kind: NotFirmware::Jpeg,
        matches: |b| {
            b.starts_with(b"\xff\xd8\xff") && b.get(3).is_some_and(|&m| m >= 0xc0 && m != 0xff)
        },
    },
    Signature {
        kind: NotFirmware::Gif,
        matches: |b| b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a"),
    },
    Signature {
        kind: NotFirmware::Bmp,
        matches: bmp,
    },
    Signature {
        kind: NotFirmware::Webp,
        matches: |b| b.starts_with(b"RIFF") && b.get(8..12) == Some(b"WEBP"),
    },
    Signature {
        kind: NotFirmware::WindowsProgram,
        matches: windows_program,
    },
    Signature {
        kind: NotFirmware::MacProgram,
        matches: |b| {
            [
                b"\xcf\xfa\xed\xfe",
                b"\xce\xfa\xed\xfe",
                b"\xfe\xed\xfa\xcf",
                b"\xfe\xed\xfa\xce",
            ]
            .iter()
            .any(|m| b.starts_with(*m))
        },
    },
    Signature {
        kind: NotFirmware::Uf2,
        matches: |b| b.starts_with(b"UF2\nWQ]\x9e"),
    },
    Signature {
        kind: NotFirmware::Html,
        matches: html,
    },
    Signature {
        kind: NotFirmware::Xml,
        matches: |b| starts_with_markup(b, &[b"<?xml", b"<svg", b"<rss", b"<feed"]),
    },
    Signature {
        kind: NotFirmware::Srecord,
        matches: srecord,
    },
    Signature {
        kind: NotFirmware::Json,
        matches: |b| matches!(text_start(b).first(), Some(b'{' | b'[')) && is_text(b),
    },
    Signature {
        kind: NotFirmware::Text,
        matches: is_text,
    },
];

/// What the content is, if it is plainly not firmware.
pub fn sniff(bytes: &[u8]) -> Option<NotFirmware> {
    SIGNATURES
        .iter()
        .find(|s| (s.matches)(bytes))
        .map(|s| s.kind)
}

fn zip(b: &[u8]) -> bool {
    [b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"]
        .iter()
        .any(|m| b.starts_with(*m))
}

fn bzip2(b: &[u8]) -> bool {
    b.starts_with(b"BZh")
        && b.get(3).is_some_and(|d| (b'1'..=b'9').contains(d))
        && b.get(4..10) == Some(b"\x31\x41\x59\x26\x53\x59")
}

/// "BM" alone is two bytes; the header's file size must also be the file's.
fn bmp(b: &[u8]) -> bool {
    b.starts_with(b"BM")
        && b.get(2..6)
            .and_then(|s| <[u8; 4]>::try_from(s).ok())
            .is_some_and(|s| u32::from_le_bytes(s) as usize == b.len())
}

/// "MZ" with the offset at 0x3c pointing at a "PE\0\0" header.
fn windows_program(b: &[u8]) -> bool {
    let Some(at) = b.get(0x3c..0x40).and_then(|s| <[u8; 4]>::try_from(s).ok()) else {
        return false;
    };
    let at = u32::from_le_bytes(at) as usize;
    b.starts_with(b"MZ") && at.checked_add(4).and_then(|end| b.get(at..end)) == Some(b"PE\0\0")
}

fn srecord(b: &[u8]) -> bool {
    let t = text_start(b);
    t.len() >= 4 && t.starts_with(b"S0") && t[2..4].iter().all(u8::is_ascii_hexdigit)
}

/// The bytes after a byte-order mark and leading white space.
fn text_start(b: &[u8]) -> &[u8] {
    b.strip_prefix(b"\xef\xbb\xbf")
        .unwrap_or(b)
        .trim_ascii_start()
}

fn starts_with_markup(b: &[u8], tags: &[&[u8]]) -> bool {
    let t = text_start(b);
    tags.iter()
        .any(|tag| t.len() >= tag.len() && t[..tag.len()].eq_ignore_ascii_case(tag))
}

fn html(b: &[u8]) -> bool {
    starts_with_markup(
        b,
        &[
            b"<!doctype html",
            b"<html",
            b"<head",
            b"<body",
            b"<meta",
            b"<title",
            b"<script",
        ],
    ) || (starts_with_markup(b, &[b"<!--"]) && is_text(b))
}

/// Printable text: UTF-8 (or UTF-16 with a byte-order mark) with no control characters
/// but tab, line breaks and form feed. Machine code always has some.
fn is_text(b: &[u8]) -> bool {
    let printable = |c: char| !c.is_control() || matches!(c, '\t' | '\n' | '\r' | '\x0c');
    if let Some(rest) = b
        .strip_prefix(b"\xff\xfe")
        .or_else(|| b.strip_prefix(b"\xfe\xff"))
    {
        let le = b.starts_with(b"\xff\xfe");
        if rest.is_empty() || rest.len() % 2 != 0 {
            return false;
        }
        let units = rest.chunks_exact(2).map(|c| {
            if le {
                u16::from_le_bytes([c[0], c[1]])
            } else {
                u16::from_be_bytes([c[0], c[1]])
            }
        });
        return char::decode_utf16(units).all(|c| c.is_ok_and(printable));
    }
    match std::str::from_utf8(b) {
        Ok(s) => !s.trim().is_empty() && s.chars().all(printable),
        Err(_) => false,
    }
}
