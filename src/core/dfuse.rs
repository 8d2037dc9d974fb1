//! ST DfuSe block-0 commands (UM0424, AN3156; the digest's §5.1): sent as DNLOAD with
//! wValue 0, each followed by GETSTATUS, during which the device carries it out.

/// A DfuSe command, in the order AN3156 lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DfuseCommand {
    /// `21 a0 a1 a2 a3`: the address pointer for the next data blocks and uploads.
    #[doc(alias = "Set Address Pointer")]
    SetAddress(u32),
    /// `41 a0 a1 a2 a3`: erase the page or sector containing the address.
    #[doc(alias = "Erase")]
    ErasePage(u32),
    /// `41`: erase all user flash.
    MassErase,
    /// `92`: remove read protection; wipes the flash and resets the chip.
    #[doc(alias = "Read Unprotect")]
    ReadUnprotect,
}

const SET_ADDRESS: u8 = 0x21;
const ERASE: u8 = 0x41;
const READ_UNPROTECT: u8 = 0x92;

impl DfuseCommand {
    /// The bytes of the DNLOAD data stage.
    pub fn encode(self) -> Vec<u8> {
        let with_address = |code: u8, a: u32| {
            let mut v = vec![code];
            v.extend_from_slice(&a.to_le_bytes());
            v
        };
        match self {
            DfuseCommand::SetAddress(a) => with_address(SET_ADDRESS, a),
            DfuseCommand::ErasePage(a) => with_address(ERASE, a),
            DfuseCommand::MassErase => vec![ERASE],
            DfuseCommand::ReadUnprotect => vec![READ_UNPROTECT],
        }
    }

    /// The command these bytes encode, if any.
    pub fn decode(b: &[u8]) -> Option<DfuseCommand> {
        let address = || Some(u32::from_le_bytes(b.get(1..5)?.try_into().ok()?));
        match (b.first()?, b.len()) {
            (&SET_ADDRESS, 5) => address().map(DfuseCommand::SetAddress),
            (&ERASE, 5) => address().map(DfuseCommand::ErasePage),
            (&ERASE, 1) => Some(DfuseCommand::MassErase),
            (&READ_UNPROTECT, 1) => Some(DfuseCommand::ReadUnprotect),
            _ => None,
        }
    }

    /// An erase, which may run far longer than the poll timeout it reports.
    pub fn erases(self) -> bool {
        matches!(self, DfuseCommand::ErasePage(_) | DfuseCommand::MassErase)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The command table of the digest (§5.1), byte for byte.
    #[test]
    fn encodes_the_command_table() {
        let table: [(DfuseCommand, &[u8]); 4] = [
            (
                DfuseCommand::SetAddress(0x0800_4000),
                &[0x21, 0x00, 0x40, 0x00, 0x08],
            ),
            (
                DfuseCommand::ErasePage(0x0802_0000),
                &[0x41, 0x00, 0x00, 0x02, 0x08],
            ),
            (DfuseCommand::MassErase, &[0x41]),
            (DfuseCommand::ReadUnprotect, &[0x92]),
        ];
        for (c, bytes) in table {
            assert_eq!(c.encode(), bytes, "{c:?}");
            assert_eq!(DfuseCommand::decode(bytes), Some(c));
        }
        assert_eq!(DfuseCommand::decode(&[0x21, 1, 2]), None);
        assert_eq!(DfuseCommand::decode(&[0x00]), None);
        assert_eq!(DfuseCommand::decode(&[]), None);
        assert!(DfuseCommand::MassErase.erases() && DfuseCommand::ErasePage(0).erases());
        assert!(!DfuseCommand::SetAddress(0).erases() && !DfuseCommand::ReadUnprotect.erases());
    }
}
