//! Device profiles: identities, descriptors and timings of simulated devices, from the
//! real devices' facts (device-logs) and datasheet figures.

/// Timings on the virtual clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timing {
    /// Cost of one control transfer (setup + status stages), µs.
    pub request_us: u64,
    /// Data stage cost, ns per byte (full speed: about 1 µs per byte with overhead).
    pub byte_ns: u64,
    /// DFU 1.1: erase before the first block, ms.
    pub first_block_erase_ms: u32,
    /// Programming one transfer-size block, ms (DFU 1.1 and DfuSe).
    pub program_ms: u32,
    /// DfuSe Set-Address and other quick commands, ms.
    pub command_ms: u32,
    /// DfuSe mass erase, ms.
    pub mass_erase_ms: u32,
    /// Manifestation, ms.
    pub manifest_ms: u32,
    /// With bitWillDetach: time from DETACH to leaving the bus, ms.
    pub detach_delay_ms: u32,
    /// Time off the bus when re-enumerating, ms.
    pub reattach_ms: u32,
}

/// One alt setting (memory target).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AltProfile {
    /// iInterface text; for DfuSe the memory map.
    pub name: String,
    /// DFU 1.1 image capacity in bytes (DfuSe: from the map).
    pub capacity: usize,
}

/// A simulated device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    pub vendor: u16,
    /// Product id in run-time mode; `None` for a device that only has DFU mode.
    pub runtime_product: Option<u16>,
    pub dfu_product: u16,
    pub release: u16,
    pub manufacturer: String,
    pub product: String,
    pub serial: Option<String>,
    /// bmAttributes of the functional descriptor.
    pub attributes: u8,
    pub detach_timeout: u16,
    pub transfer_size: u16,
    pub dfu_version: u16,
    /// ST DfuSe command set.
    pub dfuse: bool,
    pub alts: Vec<AltProfile>,
    /// Erase time per sector size in bytes (DfuSe), ms; others scale linearly.
    pub erase_ms: Vec<(u32, u32)>,
    pub timing: Timing,
    /// State and status at power-on in DFU mode.
    pub initial_state: u8,
    pub initial_status: u8,
    /// The application image the device ships with (DFU 1.1 alt 0).
    pub firmware: Vec<u8>,
    /// In run-time mode bcdDevice is the version the installed firmware names on its first
    /// line (`… v1.42`), as BCD, the way a real firmware sets it; `release` where the
    /// firmware names none. Otherwise bcdDevice is always `release`.
    pub version_in_firmware: bool,
    /// The run-time interface answers GETSTATUS (some stall it).
    pub runtime_getstatus: bool,
    /// bInterfaceProtocol of the DFU-mode interface (2; NXP's LPC ROM says 1).
    pub dfu_protocol: u8,
    /// Device bugs, for the quirk tests.
    pub bugs: Bugs,
    /// DFU 1.1 alts that are partitions of a block medium (U-Boot), instead of an
    /// image installed at manifestation.
    pub partitions: Option<Partitions>,
}

/// How a U-Boot-like device writes a partition (`drivers/dfu/dfu.c`): blocks collect in a
/// RAM buffer that is written to the medium when it is full and at the end of the
/// image; an UPLOAD reads the whole partition (`capacity` bytes), short at its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partitions {
    /// CONFIG_SYS_DFU_DATA_BUF_SIZE.
    pub buffer: u32,
    /// Writing to the medium, ms per MiB (reported as the poll timeout of the block that
    /// fills the buffer; U-Boot holds that request instead, and the host waits the same).
    pub ms_per_mib: u32,
}

/// Misbehaviour of real devices (digest §9), off by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bugs {
    /// Reports a garbage bwPollTimeout (Openmoko, SAM7DFU).
    pub garbage_poll: bool,
    /// Answers GETSTATUS while busy with dfuDNBUSY instead of stalling (U-Boot).
    pub lenient_busy: bool,
    /// UPLOAD returns zeros instead of the firmware (FlatFrog, Jabra).
    pub broken_upload: bool,
    /// Erases take this much longer than the poll timeout reported, and GETSTATUS
    /// stalls meanwhile without entering dfuERROR (STM32L4 ROM).
    pub erase_overrun_ms: u32,
    /// The serial-number string is UTF-8 bytes, not UTF-16 (GD32VF103).
    pub utf8_serial: bool,
    /// The real layout of alt 0 when the descriptor lies about it (GD32VF103).
    pub real_layout: Option<String>,
    /// Flash content at power-on (an old firmware), instead of erased 0xFF.
    pub initial_fill: Option<u8>,
    /// Manifestation takes this much longer than reported; GETSTATUS keeps answering
    /// dfuMANIFEST meanwhile, and a reset before the end loses the image (Poly).
    pub manifest_overrun_ms: u32,
    /// The application shows no DFU interface at all (HydraBus, Openmoko FreeRunner).
    pub no_runtime_interface: bool,
    /// A reset in DFU mode starts the firmware only after a DETACH sent in DFU mode
    /// (Realtek, AVer); otherwise the device comes back in DFU mode.
    pub needs_detach_to_attach: bool,
    /// A reset in DFU mode starts the firmware only if an UPLOAD came after the last
    /// DNLOAD (m-stack); otherwise the device comes back in DFU mode.
    pub needs_upload_to_attach: bool,
}

const NAMES: &[&str] = &[
    "stm32f4",
    "stm32f4-blank",
    "stm32l4-erase-stalls",
    "openmoko-freerunner",
    "maple",
    "lpc-rom",
    "flatfrog",
    "hostile",
    "gd32vf103",
    "poly-manifest-poll",
    "dfu11-runtime",
    "dfu11-nontolerant",
    "dfu11-willdetach",
    "dfu11-noupload",
    "dfu11-dfumode",
    "dfu11-same-ids",
    "hydrabus",
    "realtek-detach-attach",
    "mstack-upload-attach",
    "uboot-emmc",
];

fn stm32f4() -> Profile {
    Profile {
        name: "stm32f4".into(),
        vendor: 0x0483,
        runtime_product: None,
        dfu_product: 0xDF11,
        release: 0x2100,
        manufacturer: "STMicroelectronics".into(),
        product: "STM32  BOOTLOADER".into(),
        serial: Some("315A28A0B956".into()),
        attributes: 0x0B,
        detach_timeout: 255,
        transfer_size: 2048,
        dfu_version: 0x011A,
        dfuse: true,
        alts: [
            "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg",
            "@Option Bytes  /0x1FFFC000/01*016 g",
            "@OTP Memory /0x1FFF7800/01*512 g,01*016 g",
            "@Device Feature/0xFFFF0000/01*004 g",
        ]
        .iter()
        .map(|n| AltProfile {
            name: n.to_string(),
            capacity: 0,
        })
        .collect(),
        // STM32F405/407 datasheet, x32 parallelism: typical sector erase times.
        erase_ms: vec![(16 << 10, 250), (64 << 10, 550), (128 << 10, 1000)],
        timing: Timing {
            request_us: 1000,
            byte_ns: 1000,
            first_block_erase_ms: 0,
            // 2048 bytes as 512 words of 16 µs.
            program_ms: 8,
            command_ms: 1,
            mass_erase_ms: 8000,
            manifest_ms: 0,
            detach_delay_ms: 50,
            reattach_ms: 300,
        },
        initial_state: 2,
        initial_status: 0,
        firmware: Vec::new(),
        version_in_firmware: false,
        runtime_getstatus: true,
        dfu_protocol: 2,
        bugs: Bugs::default(),
        partitions: None,
    }
}

fn demo_firmware() -> Vec<u8> {
    let mut f = b"DEMO-WIDGET-FIRMWARE v1.00\n".to_vec();
    f.extend((0..3000u32).map(|i| (i.wrapping_mul(31) >> 3) as u8));
    f
}

/// A board running U-Boot's `dfu` command over eMMC (`drivers/usb/gadget/f_dfu.c`,
/// `drivers/dfu/`): DFU mode only, one alt per `dfu_alt_info` entry named after it,
/// bmAttributes 0x0F, wTransferSize 4096, an 8 MiB write buffer, and partitions that
/// read back whole. Every failure is errUNKNOWN.
fn uboot() -> Profile {
    let mut p = dfu11();
    p.name = "uboot-emmc".into();
    // The sunxi default ids (CONFIG_USB_GADGET_VENDOR_NUM / _PRODUCT_NUM).
    p.vendor = 0x1f3a;
    p.runtime_product = None;
    p.dfu_product = 0x1010;
    // (U_BOOT_VERSION_NUM << 4) | U_BOOT_VERSION_NUM_PATCH for 2024.01.
    p.release = 0x7e81;
    p.manufacturer = "U-Boot".into();
    p.product = "USB download gadget".into();
    p.serial = Some("02c00042a1b2c3d4".into());
    p.attributes = 0x0F;
    p.detach_timeout = 0;
    p.transfer_size = 4096;
    p.alts = [
        ("u-boot", 4u64 << 20),
        ("boot", 128 << 20),
        ("rootfs", 3 << 30),
    ]
    .into_iter()
    .map(|(name, size)| AltProfile {
        name: name.into(),
        capacity: usize::try_from(size).unwrap_or(usize::MAX),
    })
    .collect();
    p.timing = Timing {
        // High speed: a control transfer per microframe, about 16 MB/s on endpoint 0.
        request_us: 125,
        byte_ns: 60,
        first_block_erase_ms: 0,
        program_ms: 0,
        command_ms: 0,
        mass_erase_ms: 0,
        manifest_ms: 0,
        detach_delay_ms: 0,
        reattach_ms: 2000,
    };
    p.firmware = Vec::new();
    p.version_in_firmware = false;
    p.bugs.lenient_busy = true;
    p.partitions = Some(Partitions {
        buffer: 8 << 20,
        // eMMC at about 20 MB/s.
        ms_per_mib: 50,
    });
    p
}

fn dfu11() -> Profile {
    Profile {
        name: "dfu11-runtime".into(),
        vendor: 0x1209,
        runtime_product: Some(0x2301),
        dfu_product: 0x2302,
        release: 0x0100,
        manufacturer: "Example Gadgets".into(),
        product: "Demo Widget".into(),
        serial: Some("DEMO-0001".into()),
        attributes: 0x07,
        detach_timeout: 1000,
        transfer_size: 1024,
        dfu_version: 0x0110,
        dfuse: false,
        alts: vec![
            AltProfile {
                name: "Application".into(),
                capacity: 256 << 10,
            },
            AltProfile {
                name: "Settings".into(),
                capacity: 8 << 10,
            },
        ],
        erase_ms: Vec::new(),
        timing: Timing {
            request_us: 1000,
            byte_ns: 1000,
            first_block_erase_ms: 120,
            program_ms: 6,
            command_ms: 1,
            mass_erase_ms: 0,
            manifest_ms: 200,
            detach_delay_ms: 50,
            reattach_ms: 300,
        },
        initial_state: 2,
        initial_status: 0,
        firmware: demo_firmware(),
        version_in_firmware: true,
        runtime_getstatus: true,
        dfu_protocol: 2,
        bugs: Bugs::default(),
        partitions: None,
    }
}

/// DFU-mode-only devices with the bugs of real ones (device-logs, digest §9).
fn quirky(name: &str) -> Profile {
    let mut p = dfu11();
    p.runtime_product = None;
    p.firmware = Vec::new();
    p.version_in_firmware = false;
    p.serial = None;
    match name {
        "openmoko-freerunner" => {
            p.vendor = 0x1D50;
            p.dfu_product = 0x5119;
            p.release = 0x0000;
            p.manufacturer = "OpenMoko, Inc".into();
            p.product = "Neo1973 Bootloader U-Boot 1.3.2-moko12".into();
            p.transfer_size = 4096;
            p.dfu_version = 0x0100;
            p.alts[0].name = "kernel".into();
            p.bugs.garbage_poll = true;
            p.bugs.lenient_busy = true;
        }
        "maple" => {
            p.vendor = 0x1EAF;
            p.dfu_product = 0x0003;
            p.release = 0x0200;
            p.manufacturer = "LeafLabs".into();
            p.product = "Maple 003".into();
            // Says DfuSe; speaks plain DFU 1.1.
            p.dfu_version = 0x011A;
        }
        "poly-manifest-poll" => {
            // Poly (095D): not manifestation-tolerant, and manifestation runs far past
            // the poll timeout it reports; it must be polled until it is done.
            p.vendor = 0x095D;
            p.dfu_product = 0x9217;
            p.manufacturer = "Poly".into();
            p.product = "Poly Studio".into();
            p.attributes &= !0x04;
            p.timing.manifest_ms = 100;
            p.bugs.manifest_overrun_ms = 900;
        }
        "lpc-rom" => {
            p.vendor = 0x1FC9;
            p.dfu_product = 0x000C;
            p.manufacturer = "NXP".into();
            p.product = "LPC ROM DFU".into();
            p.dfu_protocol = 1;
        }
        _ => {
            p.vendor = 0x25B5;
            p.dfu_product = 0x0004;
            p.manufacturer = "FlatFrog".into();
            p.product = "FlatFrog DFU".into();
            p.bugs.broken_upload = true;
        }
    }
    p
}

/// A device whose strings are markup and control characters, with far more alt
/// settings than a page can show and a nonsense wTransferSize.
fn hostile() -> Profile {
    let mut p = dfu11();
    p.runtime_product = None;
    p.vendor = 0xF00D;
    p.dfu_product = 0xBAD0;
    p.product = "<img src=x onerror=alert(1)>".into();
    p.manufacturer = format!("Evil\u{7}\u{1b}[31m Corp {}", "&lt;".repeat(60));
    p.serial = Some("\u{202e}1234<b>".into());
    p.transfer_size = 0xFFFF;
    p.alts = (0..40)
        .map(|i| AltProfile {
            name: format!("<script>alert({i})</script>"),
            capacity: 64 << 10,
        })
        .collect();
    p
}

impl Profile {
    /// A real device's ids and names, the same in run-time and DFU mode.
    fn identify(&mut self, vendor: u16, product: u16, manufacturer: &str, name: &str) {
        self.vendor = vendor;
        self.runtime_product = Some(product);
        self.dfu_product = product;
        self.manufacturer = manufacturer.into();
        self.product = name.into();
    }

    /// The same device with every device-side wait (erase, program, manifest,
    /// re-enumeration) divided by `divisor`, at least 1 ms each: for tests on real time.
    pub fn faster(mut self, divisor: u32) -> Profile {
        let d = divisor.max(1);
        let f = |ms: u32| if ms == 0 { 0 } else { (ms / d).max(1) };
        let t = &mut self.timing;
        t.first_block_erase_ms = f(t.first_block_erase_ms);
        t.program_ms = f(t.program_ms);
        t.command_ms = f(t.command_ms);
        t.mass_erase_ms = f(t.mass_erase_ms);
        t.manifest_ms = f(t.manifest_ms);
        t.detach_delay_ms = f(t.detach_delay_ms);
        t.reattach_ms = f(t.reattach_ms);
        for e in &mut self.erase_ms {
            e.1 = f(e.1);
        }
        self.bugs.erase_overrun_ms = f(self.bugs.erase_overrun_ms);
        self.bugs.manifest_overrun_ms = f(self.bugs.manifest_overrun_ms);
        self
    }

    /// A profile by name (see [`Profile::names`]).
    pub fn by_name(name: &str) -> Option<Profile> {
        let mut p = match name {
            "stm32f4" | "stm32f4-blank" | "stm32l4-erase-stalls" | "gd32vf103" => stm32f4(),
            n if n.starts_with("dfu11-")
                || matches!(
                    n,
                    "hydrabus" | "realtek-detach-attach" | "mstack-upload-attach"
                ) =>
            {
                dfu11()
            }
            "openmoko-freerunner" | "maple" | "lpc-rom" | "flatfrog" | "poly-manifest-poll" => {
                quirky(name)
            }
            "hostile" => hostile(),
            "uboot-emmc" => uboot(),
            _ => return None,
        };
        p.name = name.to_string();
        match name {
            "stm32f4-blank" => {
                // ST ROMs on blank flash come up in dfuERROR / errFIRMWARE.
                p.initial_state = 10;
                p.initial_status = 0x0A;
            }
            "dfu11-nontolerant" => p.attributes &= !0x04,
            "dfu11-willdetach" => p.attributes |= 0x08,
            "dfu11-noupload" => p.attributes &= !0x02,
            "dfu11-dfumode" => p.runtime_product = None,
            // Openmoko, Jabra: the same VID:PID in run-time and DFU mode.
            "dfu11-same-ids" => p.runtime_product = Some(p.dfu_product),
            // Realtek 0BDA:5800: back to its firmware only after a DETACH in DFU mode.
            "realtek-detach-attach" => {
                p.identify(0x0BDA, 0x5800, "Realtek", "USB Camera");
                p.bugs.needs_detach_to_attach = true;
            }
            // m-stack 273F:1003: back to its firmware only after an UPLOAD.
            "mstack-upload-attach" => {
                p.identify(0x273F, 0x1003, "Signal 11", "m-stack DFU device");
                p.bugs.needs_upload_to_attach = true;
            }
            // HydraBus 1D50:60A7: its application has no DFU interface at all.
            "hydrabus" => {
                p.identify(0x1D50, 0x60A7, "HydraBus", "HydraBus");
                p.bugs.no_runtime_interface = true;
            }
            "gd32vf103" => {
                // GigaDevice GD32VF103 (28E9:0189): a UTF-8 serial whose third character
                // gives the flash size ('B' = 128 KiB of 1 KiB pages), and a layout in
                // the alt name that is wrong. It holds an old firmware.
                p.vendor = 0x28E9;
                p.dfu_product = 0x0189;
                p.manufacturer = "GigaDevice".into();
                p.product = "GD32VF103 DFU".into();
                p.serial = Some("3CBJ123456".into());
                p.alts.truncate(1);
                p.alts[0].name = "@Internal Flash  /0x08000000/064*002Kg".into();
                p.erase_ms = vec![(1024, 30)];
                p.bugs.utf8_serial = true;
                p.bugs.real_layout = Some("@Internal Flash  /0x08000000/128*001Kg".into());
                p.bugs.initial_fill = Some(0x00);
            }
            "stm32l4-erase-stalls" => {
                // 2 KiB pages reported as 25 ms that really take 85 ms.
                p.alts[0].name = "@Internal Flash  /0x08000000/256*02Kg".into();
                p.erase_ms = vec![(2048, 25)];
                p.bugs.erase_overrun_ms = 60;
            }
            "dfu11-runtime"
            | "stm32f4"
            | "openmoko-freerunner"
            | "maple"
            | "lpc-rom"
            | "flatfrog"
            | "hostile"
            | "uboot-emmc"
            | "poly-manifest-poll" => {}
            _ => return None,
        }
        Some(p)
    }

    /// Every profile name.
    pub fn names() -> &'static [&'static str] {
        NAMES
    }

    /// Erase time of one sector of `size` bytes.
    pub fn erase_time_ms(&self, size: u32) -> u32 {
        if let Some((_, ms)) = self.erase_ms.iter().find(|(s, _)| *s == size) {
            return *ms;
        }
        // Scale from the largest known sector, at least 1 ms.
        match self.erase_ms.last() {
            Some((s, ms)) => {
                ((u64::from(size) * u64::from(*ms)) / u64::from((*s).max(1))).max(1) as u32
            }
            None => 1,
        }
    }
}
