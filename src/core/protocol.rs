//! DFU 1.1 / DfuSe wire vocabulary: requests, states, statuses and the GETSTATUS record.
//!
//! Names and order follow the DFU 1.1 specification tables (digest §2, §3).

/// bmRequestType for class requests host→device, recipient interface.
pub const REQUEST_TYPE_OUT: u8 = 0x21;
/// bmRequestType for class requests device→host, recipient interface.
pub const REQUEST_TYPE_IN: u8 = 0xA1;

/// The seven DFU class requests (bRequest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DfuRequest {
    Detach = 0x00,
    Dnload = 0x01,
    Upload = 0x02,
    GetStatus = 0x03,
    ClrStatus = 0x04,
    GetState = 0x05,
    Abort = 0x06,
}

impl DfuRequest {
    /// The spec's name, as tools and logs print it.
    pub fn name(self) -> &'static str {
        match self {
            DfuRequest::Detach => "DETACH",
            DfuRequest::Dnload => "DNLOAD",
            DfuRequest::Upload => "UPLOAD",
            DfuRequest::GetStatus => "GETSTATUS",
            DfuRequest::ClrStatus => "CLRSTATUS",
            DfuRequest::GetState => "GETSTATE",
            DfuRequest::Abort => "ABORT",
        }
    }
}

/// Device state (bState), in spec order, with `Other` for values outside the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    AppIdle,
    AppDetach,
    DfuIdle,
    DfuDnloadSync,
    DfuDnbusy,
    DfuDnloadIdle,
    DfuManifestSync,
    DfuManifest,
    DfuManifestWaitReset,
    DfuUploadIdle,
    DfuError,
    Other(u8),
}

impl State {
    pub fn from_u8(v: u8) -> State {
        match v {
            0x00 => State::AppIdle,
            0x01 => State::AppDetach,
            0x02 => State::DfuIdle,
            0x03 => State::DfuDnloadSync,
            0x04 => State::DfuDnbusy,
            0x05 => State::DfuDnloadIdle,
            0x06 => State::DfuManifestSync,
            0x07 => State::DfuManifest,
            0x08 => State::DfuManifestWaitReset,
            0x09 => State::DfuUploadIdle,
            0x0A => State::DfuError,
            other => State::Other(other),
        }
    }

    pub fn to_u8(self) -> u8 {
        match self {
            State::AppIdle => 0x00,
            State::AppDetach => 0x01,
            State::DfuIdle => 0x02,
            State::DfuDnloadSync => 0x03,
            State::DfuDnbusy => 0x04,
            State::DfuDnloadIdle => 0x05,
            State::DfuManifestSync => 0x06,
            State::DfuManifest => 0x07,
            State::DfuManifestWaitReset => 0x08,
            State::DfuUploadIdle => 0x09,
            State::DfuError => 0x0A,
            State::Other(v) => v,
        }
    }

    /// The spec's name, e.g. `dfuDNLOAD-IDLE`.
    pub fn name(self) -> String {
        let s = match self {
            State::AppIdle => "appIDLE",
            State::AppDetach => "appDETACH",
            State::DfuIdle => "dfuIDLE",
            State::DfuDnloadSync => "dfuDNLOAD-SYNC",
            State::DfuDnbusy => "dfuDNBUSY",
            State::DfuDnloadIdle => "dfuDNLOAD-IDLE",
            State::DfuManifestSync => "dfuMANIFEST-SYNC",
            State::DfuManifest => "dfuMANIFEST",
            State::DfuManifestWaitReset => "dfuMANIFEST-WAIT-RESET",
            State::DfuUploadIdle => "dfuUPLOAD-IDLE",
            State::DfuError => "dfuERROR",
            State::Other(v) => return format!("unknown state {v:#04x}"),
        };
        s.to_string()
    }

    /// True for the run-time states (appIDLE, appDETACH).
    pub fn is_runtime(self) -> bool {
        matches!(self, State::AppIdle | State::AppDetach)
    }
}

/// Device status (bStatus), in spec order, with `Other` for values above 0x0F.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Ok,
    ErrTarget,
    ErrFile,
    ErrWrite,
    ErrErase,
    ErrCheckErased,
    ErrProg,
    ErrVerify,
    ErrAddress,
    ErrNotdone,
    ErrFirmware,
    ErrVendor,
    ErrUsbr,
    ErrPor,
    ErrUnknown,
    ErrStalledPkt,
    Other(u8),
}

impl Status {
    pub fn from_u8(v: u8) -> Status {
        match v {
            0x00 => Status::Ok,
            0x01 => Status::ErrTarget,
            0x02 => Status::ErrFile,
            0x03 => Status::ErrWrite,
            0x04 => Status::ErrErase,
            0x05 => Status::ErrCheckErased,
            0x06 => Status::ErrProg,
            0x07 => Status::ErrVerify,
            0x08 => Status::ErrAddress,
            0x09 => Status::ErrNotdone,
            0x0A => Status::ErrFirmware,
            0x0B => Status::ErrVendor,
            0x0C => Status::ErrUsbr,
            0x0D => Status::ErrPor,
            0x0E => Status::ErrUnknown,
            0x0F => Status::ErrStalledPkt,
            other => Status::Other(other),
        }
    }

    pub fn to_u8(self) -> u8 {
        match self {
            Status::Ok => 0x00,
            Status::ErrTarget => 0x01,
            Status::ErrFile => 0x02,
            Status::ErrWrite => 0x03,
            Status::ErrErase => 0x04,
            Status::ErrCheckErased => 0x05,
            Status::ErrProg => 0x06,
            Status::ErrVerify => 0x07,
            Status::ErrAddress => 0x08,
            Status::ErrNotdone => 0x09,
            Status::ErrFirmware => 0x0A,
            Status::ErrVendor => 0x0B,
            Status::ErrUsbr => 0x0C,
            Status::ErrPor => 0x0D,
            Status::ErrUnknown => 0x0E,
            Status::ErrStalledPkt => 0x0F,
            Status::Other(v) => v,
        }
    }

    /// The spec's name, e.g. `errTARGET`.
    pub fn name(self) -> String {
        let s = match self {
            Status::Ok => "OK",
            Status::ErrTarget => "errTARGET",
            Status::ErrFile => "errFILE",
            Status::ErrWrite => "errWRITE",
            Status::ErrErase => "errERASE",
            Status::ErrCheckErased => "errCHECK_ERASED",
            Status::ErrProg => "errPROG",
            Status::ErrVerify => "errVERIFY",
            Status::ErrAddress => "errADDRESS",
            Status::ErrNotdone => "errNOTDONE",
            Status::ErrFirmware => "errFIRMWARE",
            Status::ErrVendor => "errVENDOR",
            Status::ErrUsbr => "errUSBR",
            Status::ErrPor => "errPOR",
            Status::ErrUnknown => "errUNKNOWN",
            Status::ErrStalledPkt => "errSTALLEDPKT",
            Status::Other(v) => return format!("invalid status {v:#04x}"),
        };
        s.to_string()
    }
}

/// A decoded DFU_GETSTATUS reply (6 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusRecord {
    pub status: Status,
    /// Minimum milliseconds before the next GETSTATUS (24-bit).
    #[doc(alias = "bwPollTimeout")]
    pub poll_timeout_ms: u32,
    pub state: State,
    /// Index of a string descriptor describing a vendor error (0 = none).
    #[doc(alias = "iString")]
    pub string_index: u8,
}

impl StatusRecord {
    /// Decode a GETSTATUS reply. Returns `None` if it is not exactly six bytes.
    pub fn parse(bytes: &[u8]) -> Option<StatusRecord> {
        let b: &[u8; 6] = bytes.try_into().ok()?;
        Some(StatusRecord {
            status: Status::from_u8(b[0]),
            poll_timeout_ms: u32::from_le_bytes([b[1], b[2], b[3], 0]),
            state: State::from_u8(b[4]),
            string_index: b[5],
        })
    }
}

/// Direction and payload of a control transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Data {
    /// Host→device with this data stage (possibly empty).
    Out(Vec<u8>),
    /// Device→host, reading up to `wLength` bytes.
    In,
}

/// The eight setup bytes of a control transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setup {
    #[doc(alias = "bmRequestType")]
    pub request_type: u8,
    #[doc(alias = "bRequest")]
    pub request: u8,
    #[doc(alias = "wValue")]
    pub value: u16,
    #[doc(alias = "wIndex")]
    pub index: u16,
    #[doc(alias = "wLength")]
    pub length: u16,
}

impl Setup {
    /// The packet as it goes on the wire (USB 2.0 §9.3: the fields in order, the 16-bit
    /// ones little-endian).
    pub fn to_bytes(&self) -> [u8; 8] {
        let [v0, v1] = self.value.to_le_bytes();
        let [i0, i1] = self.index.to_le_bytes();
        let [l0, l1] = self.length.to_le_bytes();
        [self.request_type, self.request, v0, v1, i0, i1, l0, l1]
    }
}

/// How long the driver lets a transfer take before it gives up on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timeout {
    /// An ordinary request (dfu-util: 5 s).
    Ordinary,
    /// A GETSTATUS, which a DfuSe device may hold while it erases (fwupd: 35 s).
    Busy,
}

/// A control transfer the core wants the driver to perform.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "a request does nothing until the driver sends it"]
pub struct Control {
    pub setup: Setup,
    pub data: Data,
    /// How long it may take: decided where the request is made, never re-read from it.
    pub timeout: Timeout,
}

impl Control {
    /// A DFU class request to `interface`.
    pub fn dfu(request: DfuRequest, interface: u8, value: u16, data: Data) -> Control {
        let (request_type, length) = match &data {
            // A data stage never exceeds wTransferSize (≤ 0xFFFF); saturate defensively.
            Data::Out(bytes) => (
                REQUEST_TYPE_OUT,
                u16::try_from(bytes.len()).unwrap_or(u16::MAX),
            ),
            Data::In => (REQUEST_TYPE_IN, 0),
        };
        Control {
            setup: Setup {
                request_type,
                request: request as u8,
                value,
                index: u16::from(interface),
                length,
            },
            data,
            timeout: if request == DfuRequest::GetStatus {
                Timeout::Busy
            } else {
                Timeout::Ordinary
            },
        }
    }

    /// A device→host DFU class request reading `length` bytes.
    pub fn dfu_in(request: DfuRequest, interface: u8, value: u16, length: u16) -> Control {
        let mut c = Control::dfu(request, interface, value, Data::In);
        c.setup.length = length;
        c
    }

    /// The DFU request this transfer carries, if it is one.
    pub fn dfu_request(&self) -> Option<DfuRequest> {
        if self.setup.request_type & 0x60 != 0x20 {
            return None;
        }
        Some(match self.setup.request {
            0 => DfuRequest::Detach,
            1 => DfuRequest::Dnload,
            2 => DfuRequest::Upload,
            3 => DfuRequest::GetStatus,
            4 => DfuRequest::ClrStatus,
            5 => DfuRequest::GetState,
            6 => DfuRequest::Abort,
            _ => return None,
        })
    }

    /// Standard GET_DESCRIPTOR (device recipient).
    pub fn get_descriptor(kind: u8, index: u8, language: u16, length: u16) -> Control {
        Control {
            setup: Setup {
                request_type: 0x80,
                request: 0x06,
                value: (u16::from(kind) << 8) | u16::from(index),
                index: language,
                length,
            },
            data: Data::In,
            timeout: Timeout::Ordinary,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_and_status_codes_follow_the_spec_tables() {
        let states = [
            (0, "appIDLE"),
            (1, "appDETACH"),
            (2, "dfuIDLE"),
            (3, "dfuDNLOAD-SYNC"),
            (4, "dfuDNBUSY"),
            (5, "dfuDNLOAD-IDLE"),
            (6, "dfuMANIFEST-SYNC"),
            (7, "dfuMANIFEST"),
            (8, "dfuMANIFEST-WAIT-RESET"),
            (9, "dfuUPLOAD-IDLE"),
            (10, "dfuERROR"),
        ];
        for (code, name) in states {
            assert_eq!(State::from_u8(code).name(), name);
            assert_eq!(State::from_u8(code).to_u8(), code);
        }
        assert_eq!(State::from_u8(11), State::Other(11));
        let statuses = [
            "OK",
            "errTARGET",
            "errFILE",
            "errWRITE",
            "errERASE",
            "errCHECK_ERASED",
            "errPROG",
            "errVERIFY",
            "errADDRESS",
            "errNOTDONE",
            "errFIRMWARE",
            "errVENDOR",
            "errUSBR",
            "errPOR",
            "errUNKNOWN",
            "errSTALLEDPKT",
        ];
        for (code, name) in statuses.iter().enumerate() {
            let code = code as u8;
            assert_eq!(Status::from_u8(code).name(), *name);
            assert_eq!(Status::from_u8(code).to_u8(), code);
        }
        assert_eq!(Status::from_u8(0x10), Status::Other(0x10));
    }

    #[test]
    fn status_record_decodes_the_digest_example() {
        let r = StatusRecord::parse(&[0x00, 0x32, 0x00, 0x00, 0x05, 0x00]).expect("6 bytes");
        assert_eq!(r.status, Status::Ok);
        assert_eq!(r.poll_timeout_ms, 50);
        assert_eq!(r.state, State::DfuDnloadIdle);
        let r = StatusRecord::parse(&[0x0B, 0xFF, 0xFF, 0xFF, 0x0A, 0x04]).expect("6 bytes");
        assert_eq!(r.poll_timeout_ms, 0xFF_FFFF);
        assert_eq!(r.status, Status::ErrVendor);
        assert_eq!(r.string_index, 4);
        assert!(StatusRecord::parse(&[0; 5]).is_none());
        assert!(StatusRecord::parse(&[0; 7]).is_none());
    }

    #[test]
    fn class_requests_use_the_interface_recipient() {
        let c = Control::dfu(DfuRequest::Dnload, 1, 7, Data::Out(vec![1, 2, 3]));
        assert_eq!(
            c.setup,
            Setup {
                request_type: 0x21,
                request: 1,
                value: 7,
                index: 1,
                length: 3
            }
        );
        let c = Control::dfu_in(DfuRequest::GetStatus, 0, 0, 6);
        assert_eq!(c.setup.request_type, 0xA1);
        assert_eq!(c.dfu_request(), Some(DfuRequest::GetStatus));
    }
}
