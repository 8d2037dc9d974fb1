//! What the host knows about a device's DFU side, as plain data: ids, strings, the DFU
//! interface, its functional descriptor, the alt settings with their memory maps, and the
//! quirks that apply. The driver reads it from the device (`driver::describe`); the fit
//! check and the page use it.

use super::descriptor::{Attributes, DfuVersion, FunctionalDescriptor, Mode};
use super::memmap::MemoryMap;
use super::plan::Target;
use super::quirks::Quirks;

/// One alt setting with its decoded name and memory map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AltInfo {
    pub alt: u8,
    /// Untrusted text from the device.
    pub name: Option<String>,
    pub memory_map: Option<MemoryMap>,
    /// Why a name that looks like a map (`@…`) could not be read.
    pub map_error: Option<crate::core::memmap::MemoryMapError>,
}

/// Everything the host knows about a device's DFU side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    pub vendor_id: u16,
    pub product_id: u16,
    pub device_version: u16,
    pub manufacturer: Option<String>,
    pub product: Option<String>,
    pub serial: Option<String>,
    pub mode: Mode,
    pub interface: u8,
    pub version: DfuVersion,
    pub functional: FunctionalDescriptor,
    pub attributes: Attributes,
    pub transfer_size: u16,
    pub alts: Vec<AltInfo>,
    pub max_packet_size0: u8,
    /// Other DFU interfaces beyond the one chosen (rare).
    pub other_interfaces: usize,
    /// Workarounds from the quirk table.
    pub quirks: Quirks,
    /// How many bytes of a plain image the device took before it refused the rest with
    /// errADDRESS, learned from an earlier update (DFU 1.1 devices do not say their size).
    pub learned_capacity: Option<u64>,
}

impl DeviceInfo {
    /// The session target for this device.
    pub fn target(&self) -> Target {
        Target {
            interface: self.interface,
            transfer_size: self.transfer_size,
            attributes: self.attributes,
            dfuse: self.version == DfuVersion::DfuSe,
            quirks: self.quirks,
        }
    }

    pub fn alt(&self, alt: u8) -> Option<&AltInfo> {
        self.alts.iter().find(|a| a.alt == alt)
    }

    /// The device's own name for itself (its product string, trimmed), if it gives one;
    /// untrusted text. Without it the page names the device by its ids
    /// (`ui::device_name`).
    pub fn product_name(&self) -> Option<&str> {
        self.product
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
    }
}
