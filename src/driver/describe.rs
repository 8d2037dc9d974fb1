//! Read and decode what a device says about itself: ids, strings, the DFU interface, its
//! functional descriptor and the alt settings with their DfuSe memory maps.

use super::{TransferError, Transport, TRANSFER_TIMEOUT_MS};
use crate::core::descriptor::{
    self, Attributes, Configuration, DescriptorError, DeviceDescriptor, DfuInterface,
    FunctionalDescriptor, Mode,
};
pub use crate::core::device::{AltInfo, DeviceInfo};
use crate::core::memmap::MemoryMap;
use crate::core::protocol::Control;
use crate::core::quirks;
use std::fmt;

/// Why a device could not be described.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DescribeError {
    Transfer(TransferError),
    Descriptor(DescriptorError),
    /// No DFU interface in the active configuration.
    NotDfu,
    /// A device known to show no DFU interface while it runs its application (quirk
    /// `no_dfu_runtime`): it must be started in update mode by hand.
    NoRuntimeInterface,
}

/// A short technical description; what a person reads is worded in `ui`
/// (`ui::describe_error_text`).
impl fmt::Display for DescribeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DescribeError::Transfer(e) => write!(f, "reading descriptors: {e}"),
            DescribeError::Descriptor(e) => write!(f, "bad descriptor: {e}"),
            DescribeError::NotDfu => write!(f, "no DFU interface"),
            DescribeError::NoRuntimeInterface => {
                write!(
                    f,
                    "no DFU interface in run-time mode (quirk no-dfu-runtime)"
                )
            }
        }
    }
}

impl From<TransferError> for DescribeError {
    fn from(e: TransferError) -> Self {
        DescribeError::Transfer(e)
    }
}

impl From<DescriptorError> for DescribeError {
    fn from(e: DescriptorError) -> Self {
        DescribeError::Descriptor(e)
    }
}

async fn get<T: Transport>(
    t: &mut T,
    kind: u8,
    index: u8,
    lang: u16,
    len: u16,
) -> Result<Vec<u8>, TransferError> {
    let c = Control::get_descriptor(kind, index, lang, len);
    t.control_in(c.setup, TRANSFER_TIMEOUT_MS).await
}

async fn string<T: Transport>(t: &mut T, index: u8, lang: u16) -> Option<String> {
    if index == 0 {
        return None;
    }
    let b = get(t, descriptor::STRING, index, lang, 255).await.ok()?;
    descriptor::parse_string(&b).ok()
}

/// Read the device, configuration and string descriptors and pick the DFU interface.
pub async fn describe<T: Transport>(t: &mut T) -> Result<DeviceInfo, DescribeError> {
    let dev = DeviceDescriptor::parse(&get(t, descriptor::DEVICE, 0, 0, 18).await?)?;
    let head = get(t, descriptor::CONFIGURATION, 0, 0, 9).await?;
    let total = descriptor::configuration_total_length(&head)?;
    let raw = get(t, descriptor::CONFIGURATION, 0, 0, total.max(9)).await?;
    let config: Configuration = descriptor::parse_configuration(&raw)?;
    let mut interfaces = config.interfaces.clone();
    // Prefer a DFU-mode interface, then the first one.
    crate::core::sort::sort_by_key(&mut interfaces, |i| (i.mode(&dev) != Mode::Dfu, i.number));
    let Some(intf): Option<DfuInterface> = interfaces.first().cloned() else {
        let q = crate::core::quirks::lookup(dev.vendor_id, dev.product_id, dev.device_version);
        return Err(if q.no_dfu_runtime {
            DescribeError::NoRuntimeInterface
        } else {
            DescribeError::NotDfu
        });
    };
    let lang = match get(t, descriptor::STRING, 0, 0, 255).await {
        Ok(b) => {
            let ids = descriptor::parse_language_ids(&b);
            if ids.contains(&0x0409) {
                0x0409
            } else {
                ids.first().copied().unwrap_or(0x0409)
            }
        }
        Err(_) => 0x0409,
    };
    let manufacturer = string(t, dev.manufacturer_index, lang).await;
    let product = string(t, dev.product_index, lang).await;
    let quirks = quirks::lookup(dev.vendor_id, dev.product_id, dev.device_version);
    let serial = if quirks.gd32_layout && dev.serial_index != 0 {
        // Quirk: this serial number is UTF-8 bytes.
        get(t, descriptor::STRING, dev.serial_index, lang, 255)
            .await
            .ok()
            .map(|b| String::from_utf8_lossy(b.get(2..).unwrap_or_default()).into_owned())
    } else {
        string(t, dev.serial_index, lang).await
    };
    let mut functional = intf.functional.unwrap_or(FunctionalDescriptor {
        // No functional descriptor: DFU 1.0 defaults, download only (dfu-util fakes
        // the same and asks the user for a transfer size).
        attributes: Attributes::from_bits(0x01),
        detach_timeout_ms: 1000,
        raw_transfer_size: 0,
        raw_version: None,
    });
    if let Some(v) = quirks.force_version {
        functional.raw_version = Some(v);
    }
    let mode = if quirks.force_dfu_mode {
        Mode::Dfu
    } else {
        intf.mode(&dev)
    };
    let mut alts = Vec::new();
    for a in &intf.alts {
        let name = string(t, a.name_index, lang).await;
        let (memory_map, map_error) = match name.as_deref() {
            Some(n) if n.starts_with('@') => match MemoryMap::parse(n) {
                Ok(m) => (Some(m), None),
                Err(e) => (None, Some(e)),
            },
            _ => (None, None),
        };
        alts.push(AltInfo {
            alt: a.alt,
            name,
            memory_map,
            map_error,
        });
    }
    // Quirk: rebuild alt 0's layout from the serial number.
    if let (true, Some(layout)) = (
        quirks.gd32_layout,
        serial.as_deref().and_then(quirks::gd32_layout),
    ) {
        if let (Some(a), Ok(m)) = (alts.first_mut(), MemoryMap::parse(&layout)) {
            a.memory_map = Some(m);
            a.map_error = None;
        }
    }
    Ok(DeviceInfo {
        vendor_id: dev.vendor_id,
        product_id: dev.product_id,
        device_version: dev.device_version,
        manufacturer,
        product,
        serial,
        mode,
        interface: intf.number,
        version: functional.version(),
        functional,
        attributes: functional.attributes,
        transfer_size: functional.transfer_size(dev.max_packet_size0),
        alts,
        max_packet_size0: dev.max_packet_size0,
        other_interfaces: interfaces.len() - 1,
        quirks,
        learned_capacity: None,
    })
}
