//! One table of device bugs the host works around, keyed by USB ids (digest §9; the
//! union of dfu-util's and fwupd's quirks). Each entry names the device and the bug;
//! each behaviour has a simulator variant and a test that fails without it
//! (`tests/quirks.rs`).

/// Workarounds for one device.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Quirks {
    /// bwPollTimeout is garbage: poll every this many ms instead.
    pub fixed_poll_ms: Option<u32>,
    /// bcdDFUVersion is wrong: use this one.
    pub force_version: Option<u16>,
    /// The interface says run-time (or protocol 0) but the device is in DFU mode.
    pub force_dfu_mode: bool,
    /// UPLOAD returns garbage: never verify by read-back (and say so).
    pub broken_upload: bool,
    /// GETSTATUS may stall while a DfuSe erase overruns its poll timeout: wait the
    /// last poll timeout again, this many times at most.
    pub erase_stalls: u8,
    /// GD32VF103: the serial number is UTF-8 and gives the real flash layout.
    pub gd32_layout: bool,
    /// Keep polling GETSTATUS through manifestation even though the device is not
    /// manifestation-tolerant (its manifestation outlasts the poll timeout it gives).
    pub manifest_poll: bool,
    /// The application shows no DFU interface at all (fwupd `no-dfu-runtime`): the host
    /// cannot detach it, and the user must start it in update mode by hand.
    pub no_dfu_runtime: bool,
    /// The device goes back to its firmware on a reset only after a DFU_DETACH sent in
    /// DFU mode (fwupd `detach-for-attach`).
    pub detach_for_attach: bool,
    /// The device goes back to its firmware on a reset only after an UPLOAD (fwupd
    /// `attach-upload-download`); a read-back verify is one, else the host reads a block.
    pub upload_before_attach: bool,
}

/// Which devices an entry covers.
struct Entry {
    vendor: u16,
    /// Inclusive product-id range.
    products: (u16, u16),
    /// bcdDevice, where the bug is tied to a release.
    device: Option<u16>,
    quirks: Quirks,
}

const NONE: Quirks = Quirks {
    fixed_poll_ms: None,
    force_version: None,
    force_dfu_mode: false,
    broken_upload: false,
    erase_stalls: 0,
    gd32_layout: false,
    manifest_poll: false,
    no_dfu_runtime: false,
    detach_for_attach: false,
    upload_before_attach: false,
};

/// dfu-util and fwupd both use 5 ms for devices whose poll timeout is garbage.
const GARBAGE_POLL: Quirks = Quirks {
    fixed_poll_ms: Some(5),
    ..NONE
};

const DETACH_FOR_ATTACH: Quirks = Quirks {
    detach_for_attach: true,
    ..NONE
};

const UPLOAD_BEFORE_ATTACH: Quirks = Quirks {
    upload_before_attach: true,
    ..NONE
};

const BROKEN_UPLOAD: Quirks = Quirks {
    broken_upload: true,
    ..NONE
};

const TABLE: &[Entry] = &[
    // Openmoko FreeRunner 1D50:5119: garbage bwPollTimeout, and its application has no
    // DFU run-time interface (first: the range entry below would match it too).
    Entry {
        vendor: 0x1D50,
        products: (0x5119, 0x5119),
        device: None,
        quirks: Quirks {
            no_dfu_runtime: true,
            ..GARBAGE_POLL
        },
    },
    // HydraBus 1D50:60A7: no DFU run-time interface (enter DFU with its jumper/button).
    Entry {
        vendor: 0x1D50,
        products: (0x60A7, 0x60A7),
        device: None,
        quirks: Quirks {
            no_dfu_runtime: true,
            ..NONE
        },
    },
    // Openmoko Neo1973 / FreeRunner (old U-Boot DFU): garbage bwPollTimeout.
    Entry {
        vendor: 0x1D50,
        products: (0x5117, 0x5126),
        device: None,
        quirks: GARBAGE_POLL,
    },
    Entry {
        vendor: 0x1457,
        products: (0x5117, 0x5126),
        device: None,
        quirks: GARBAGE_POLL,
    },
    // OpenPCD / SIMtrace / OpenPICC (SAM7DFU): garbage bwPollTimeout.
    Entry {
        vendor: 0x16C0,
        products: (0x0762, 0x0762),
        device: None,
        quirks: GARBAGE_POLL,
    },
    Entry {
        vendor: 0x16C0,
        products: (0x076B, 0x076C),
        device: None,
        quirks: GARBAGE_POLL,
    },
    // Siemens PXM40/50 with bcdDevice 0: garbage bwPollTimeout.
    Entry {
        vendor: 0x0908,
        products: (0x02C4, 0x02C5),
        device: Some(0x0000),
        quirks: GARBAGE_POLL,
    },
    // M-Audio Transit: garbage bwPollTimeout.
    Entry {
        vendor: 0x0763,
        products: (0x2806, 0x2806),
        device: None,
        quirks: GARBAGE_POLL,
    },
    // SunplusIT camera: garbage bwPollTimeout, broken upload.
    Entry {
        vendor: 0x1BCF,
        products: (0x0B1D, 0x0B1D),
        device: None,
        quirks: Quirks {
            fixed_poll_ms: Some(5),
            broken_upload: true,
            ..NONE
        },
    },
    // Maple rev 3/5 (LeafLabs): reports a wrong DFU version; it speaks DFU 1.1.
    Entry {
        vendor: 0x1EAF,
        products: (0x0003, 0x0003),
        device: Some(0x0200),
        quirks: Quirks {
            force_version: Some(0x0110),
            ..NONE
        },
    },
    // NXP LPC ROM bootloader: DFU mode with interface protocol 1.
    Entry {
        vendor: 0x1FC9,
        products: (0x000C, 0x000C),
        device: None,
        quirks: Quirks {
            force_dfu_mode: true,
            ..NONE
        },
    },
    // STM32 ROM bootloaders (STM32L4 among them): GETSTATUS stalls while an erase
    // takes longer than the poll timeout it reported; dfu-util tolerates three.
    Entry {
        vendor: 0x0483,
        products: (0xDF11, 0xDF11),
        device: None,
        quirks: Quirks {
            erase_stalls: 3,
            ..NONE
        },
    },
    // GigaDevice GD32VF103: wrong DfuSe layout; the UTF-8 (!) serial number tells
    // the flash size (dfu-util and fwupd rebuild the layout from it).
    Entry {
        vendor: 0x28E9,
        products: (0x0189, 0x0189),
        device: None,
        quirks: Quirks {
            gd32_layout: true,
            ..NONE
        },
    },
    // Realtek 0BDA:5800, AVer 34AD:0006 and 2574:0A30: a reset alone leaves them in DFU
    // mode; a DETACH first sends them back to their firmware.
    Entry {
        vendor: 0x0BDA,
        products: (0x5800, 0x5800),
        device: None,
        quirks: DETACH_FOR_ATTACH,
    },
    Entry {
        vendor: 0x34AD,
        products: (0x0006, 0x0006),
        device: None,
        quirks: DETACH_FOR_ATTACH,
    },
    Entry {
        vendor: 0x2574,
        products: (0x0A30, 0x0A30),
        device: None,
        quirks: DETACH_FOR_ATTACH,
    },
    // m-stack USB stack 273F:1003, 1008, 100A: an UPLOAD before the reset, or it stays
    // in DFU mode.
    Entry {
        vendor: 0x273F,
        products: (0x1003, 0x1003),
        device: None,
        quirks: UPLOAD_BEFORE_ATTACH,
    },
    Entry {
        vendor: 0x273F,
        products: (0x1008, 0x1008),
        device: None,
        quirks: UPLOAD_BEFORE_ATTACH,
    },
    Entry {
        vendor: 0x273F,
        products: (0x100A, 0x100A),
        device: None,
        quirks: UPLOAD_BEFORE_ATTACH,
    },
    // Poly (Plantronics) devices: manifestation must be polled to its end.
    Entry {
        vendor: 0x095D,
        products: (0x0000, 0xFFFF),
        device: None,
        quirks: Quirks {
            manifest_poll: true,
            ..NONE
        },
    },
    // FlatFrog: manifestation must be polled; UPLOAD does not return the firmware.
    Entry {
        vendor: 0x25B5,
        products: (0x0004, 0x0004),
        device: None,
        quirks: Quirks {
            broken_upload: true,
            manifest_poll: true,
            ..NONE
        },
    },
    // Jabra (0B0E), Sonix cameras: UPLOAD does not return the firmware.
    Entry {
        vendor: 0x0B0E,
        products: (0x0000, 0xFFFF),
        device: None,
        quirks: BROKEN_UPLOAD,
    },
    Entry {
        vendor: 0x0C45,
        products: (0x636C, 0x6374),
        device: None,
        quirks: BROKEN_UPLOAD,
    },
];

/// GD32VF103: the memory map from the serial number's third character (1 KiB pages).
pub fn gd32_layout(serial: &str) -> Option<String> {
    let kib = match serial.chars().nth(2)? {
        '2' => 8,
        '4' => 16,
        '6' => 32,
        '8' => 64,
        'B' => 128,
        'D' => 256,
        _ => return None,
    };
    Some(format!("@Internal Flash  /0x08000000/{kib:03}*001Kg"))
}

/// The workarounds for a device (none for most).
/// The (vendor, product) pairs of devices whose application shows no DFU interface:
/// the chooser offers them too, so that the page can tell the user what to do.
pub fn without_runtime_interface() -> impl Iterator<Item = (u16, u16)> {
    TABLE
        .iter()
        .filter(|e| e.quirks.no_dfu_runtime && e.products.0 == e.products.1)
        .map(|e| (e.vendor, e.products.0))
}

pub fn lookup(vendor: u16, product: u16, device: u16) -> Quirks {
    TABLE
        .iter()
        .find(|e| {
            e.vendor == vendor
                && (e.products.0..=e.products.1).contains(&product)
                && e.device.is_none_or(|d| d == device)
        })
        .map_or(NONE, |e| e.quirks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_without_runtime_interface_are_listed_for_the_chooser() {
        let ids: Vec<(u16, u16)> = without_runtime_interface().collect();
        assert_eq!(ids, vec![(0x1D50, 0x5119), (0x1D50, 0x60A7)]);
        assert!(lookup(0x1D50, 0x5119, 0).no_dfu_runtime);
        assert_eq!(lookup(0x1D50, 0x5119, 0).fixed_poll_ms, Some(5));
        assert!(!lookup(0x1D50, 0x5118, 0).no_dfu_runtime);
    }

    #[test]
    fn lookup_matches_ids_ranges_and_releases() {
        assert_eq!(lookup(0x1D50, 0x5119, 0x1234).fixed_poll_ms, Some(5));
        assert_eq!(lookup(0x1D50, 0x5127, 0).fixed_poll_ms, None);
        assert_eq!(lookup(0x1EAF, 0x0003, 0x0200).force_version, Some(0x0110));
        assert_eq!(lookup(0x1EAF, 0x0003, 0x0201), Quirks::default());
        assert!(lookup(0x0908, 0x02C4, 0).fixed_poll_ms.is_some());
        assert!(lookup(0x0908, 0x02C4, 1).fixed_poll_ms.is_none());
        assert_eq!(lookup(0x1209, 0x2302, 0x0100), Quirks::default());
        assert!(lookup(0x28E9, 0x0189, 0).gd32_layout);
        assert_eq!(
            gd32_layout("3CBJ").as_deref(),
            Some("@Internal Flash  /0x08000000/128*001Kg")
        );
        assert_eq!(gd32_layout("3Z"), None);
    }
}
