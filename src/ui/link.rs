//! Firmware named by the page's address: a vendor links `…/?firmware=widget-2.1.dfu` from
//! their support page, and the customer finds the file already chosen.
//!
//! Only files on the page's own site are downloaded: a link from anywhere must not be able
//! to make the page write a stranger's file to someone's device (the recommended CSP,
//! `connect-src 'self'`, says the same to the browser).

use super::device::clean;
use super::text::{fill, text};
use crate::core::file::MAX_FILE;
use serde::Serialize;

/// What the page does with the `firmware` parameter of its address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FirmwareLink {
    /// Download `url` (and name the file `name`); otherwise show `title` and `details`.
    pub ok: bool,
    pub url: String,
    pub name: String,
    /// What the page shows while downloading, or why it will not.
    pub title: String,
    pub details: Vec<String>,
    /// Refuse a download that says it is larger than this (a firmware file never is).
    pub max_bytes: u64,
}

/// Is `href` (absolute) on the site `origin` (`https://example.com`)?
pub fn same_site(href: &str, origin: &str) -> bool {
    let origin = origin.trim_end_matches('/');
    !origin.is_empty()
        && origin != "null"
        && href
            .strip_prefix(origin)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Decide on `href`, the parameter already resolved against the page's address, for a
/// page whose origin is `origin` (`https://example.com`, no trailing slash).
pub fn firmware_link(href: &str, origin: &str) -> FirmwareLink {
    let refuse = |title: String, details: Vec<String>| FirmwareLink {
        ok: false,
        url: String::new(),
        name: String::new(),
        title,
        details,
        max_bytes: MAX_FILE as u64,
    };
    let origin = origin.trim_end_matches('/');
    if !same_site(href, origin) {
        return refuse(
            text("link.elsewhere.title"),
            vec![
                fill("link.elsewhere.detail", &[("origin", &clean(origin))]),
                text("link.elsewhere.instead"),
            ],
        );
    }
    let path = href[origin.len()..]
        .split(['?', '#'])
        .next()
        .unwrap_or_default();
    let last = path.rsplit('/').next().unwrap_or_default();
    let name = clean(&percent_decode(last));
    if name.is_empty() {
        return refuse(
            text("link.no_file.title"),
            vec![text("link.no_file.detail")],
        );
    }
    FirmwareLink {
        ok: true,
        url: href.to_string(),
        title: fill("link.downloading", &[("name", &name)]),
        name,
        details: Vec::new(),
        max_bytes: MAX_FILE as u64,
    }
}

/// Why the linked file could not be had (`ok` false, `title` and `details` to show):
/// `status` is the HTTP status (0: no answer, with the browser's `message`; 413: larger
/// than `max_bytes`).
pub fn download_problem(name: &str, status: u16, message: &str) -> FirmwareLink {
    let name = clean(name);
    let why = match status {
        0 => fill("link.download.no_answer", &[("message", &clean(message))]),
        404 | 410 => fill(
            "link.download.not_found",
            &[("status", &status.to_string())],
        ),
        413 => fill(
            "link.download.too_large",
            &[("mib", &(MAX_FILE >> 20).to_string())],
        ),
        s => fill("link.download.status", &[("status", &s.to_string())]),
    };
    FirmwareLink {
        ok: false,
        url: String::new(),
        title: fill("link.download.title", &[("name", &name)]),
        name,
        details: vec![why, text("link.download.choose")],
        max_bytes: MAX_FILE as u64,
    }
}

/// The vendor ids in a page's `?vendor=` parameter: hexadecimal, with or without `0x`,
/// separated by commas or spaces. Anything else is left out (and with nothing left, the
/// chooser shows every maker's devices, as without the parameter).
pub fn vendors(param: &str) -> Vec<u16> {
    let mut out: Vec<u16> = Vec::new();
    for v in param.split([',', ' ']) {
        let h = v
            .strip_prefix("0x")
            .or_else(|| v.strip_prefix("0X"))
            .unwrap_or(v);
        if h.is_empty() || h.len() > 4 {
            continue;
        }
        // By hand: `from_str_radix` would also take a sign.
        let id = h.bytes().try_fold(0u16, |n, c| {
            (c as char).to_digit(16).map(|d| (n << 4) | d as u16)
        });
        if let Some(id) = id.filter(|id| !out.contains(id)) {
            out.push(id);
        }
    }
    out
}

/// `%XX` escapes to bytes, then UTF-8 (invalid sequences become U+FFFD). Also the dev
/// server's (`cargo xtask serve`) decoding of request paths.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SITE: &str = "https://updates.example.com";

    #[test]
    fn a_file_on_the_pages_own_site_is_downloaded_under_its_name() {
        let l = firmware_link("https://updates.example.com/fw/widget%202.1.dfu?v=3", SITE);
        assert!(l.ok);
        assert_eq!(l.url, "https://updates.example.com/fw/widget%202.1.dfu?v=3");
        assert_eq!(l.name, "widget 2.1.dfu");
        assert_eq!(l.title, "Downloading widget 2.1.dfu…");
    }

    #[test]
    fn other_sites_and_look_alike_hosts_are_refused() {
        for href in [
            "https://evil.example.net/widget.dfu",
            "https://updates.example.com.evil.net/widget.dfu",
            "https://updates.example.com@evil.net/widget.dfu",
            "http://updates.example.com/widget.dfu",
            "data:application/octet-stream,abc",
            "javascript:alert(1)",
            "",
        ] {
            let l = firmware_link(href, SITE);
            assert!(!l.ok, "{href}");
            assert!(l.url.is_empty());
            assert_eq!(l.title, "The link names firmware on another site");
            assert!(l.details[0].contains("(https://updates.example.com)"));
        }
        // A page without an origin (opened from a file) downloads nothing.
        assert!(!firmware_link("null/x.dfu", "null").ok);
    }

    #[test]
    fn a_link_to_a_folder_names_no_file() {
        let l = firmware_link("https://updates.example.com/fw/", SITE);
        assert!(!l.ok);
        assert_eq!(l.title, "The link does not name a firmware file");
    }

    #[test]
    fn names_are_cleaned_and_decoding_is_lenient() {
        let l = firmware_link("https://updates.example.com/a%0A%3Cb%3E.dfu", SITE);
        assert_eq!(l.name, "a <b>.dfu");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("%C3%A9%FF"), "é\u{FFFD}");
    }

    #[test]
    fn vendor_ids_are_hexadecimal_with_or_without_0x() {
        assert_eq!(vendors("0x0483"), vec![0x0483]);
        assert_eq!(vendors("1209, 0X0483,1209"), vec![0x1209, 0x0483]);
        assert_eq!(vendors("0x12345,zz,,-1,+12,0x"), Vec::<u16>::new());
        assert_eq!(vendors("ffff"), vec![0xFFFF]);
    }

    #[test]
    fn download_problems_say_what_happened_and_what_to_do() {
        let p = download_problem("w.dfu", 404, "");
        assert!(!p.ok);
        assert_eq!(p.title, "Could not download w.dfu");
        assert!(p.details[0].contains("out of date"));
        let d = download_problem("w.dfu", 0, "Failed to fetch").details;
        assert!(d[0].contains("(Failed to fetch)"));
        let d = download_problem("w.dfu", 503, "").details;
        assert!(d[0].contains("HTTP 503"));
        let d = download_problem("w.dfu", 413, "").details;
        assert!(d[0].contains("64 MiB"));
    }
}
