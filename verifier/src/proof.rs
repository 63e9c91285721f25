//! A cursor over proof bytes (mirrors `contracts/src/osp/Decoder.sol`). Every read past the
//! end is `ProofTruncated`; integers are big-endian.
//!
//! The Rust cursor also notes every tree path read through it ([`PathRead`]), for readers of
//! a proof ([`crate::explain`]); Solidity has no such list, and nothing decides on it.

use alloy_primitives::B256;

use crate::VerifyError;

/// A leaf and its siblings that a proof carried and the verifier checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathRead {
    /// The tree's tag (docs/spec/machine-hash.md).
    pub tag: u8,
    /// The leaf's index.
    pub index: u64,
    /// Siblings read (the tree's depth).
    pub depth: u8,
    /// The leaf as proven.
    pub leaf: B256,
    /// Where the leaf starts in the proof.
    pub offset: usize,
}

/// Reads a proof front to back.
pub struct Decoder<'a> {
    bytes: &'a [u8],
    at: usize,
    paths: Vec<PathRead>,
}

impl<'a> Decoder<'a> {
    /// A cursor at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Decoder {
            bytes,
            at: 0,
            paths: Vec::new(),
        }
    }

    /// Bytes read so far.
    pub fn position(&self) -> usize {
        self.at
    }

    /// Notes a checked path (called by `merkle::read_leaf_proof`).
    pub fn note_path(&mut self, path: PathRead) {
        self.paths.push(path);
    }

    /// The paths read so far, in order.
    pub fn paths(&self) -> &[PathRead] {
        &self.paths
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], VerifyError> {
        let end = self.at.checked_add(n).ok_or(VerifyError::ProofTruncated)?;
        let s = self
            .bytes
            .get(self.at..end)
            .ok_or(VerifyError::ProofTruncated)?;
        self.at = end;
        Ok(s)
    }

    /// One byte.
    pub fn read_u8(&mut self) -> Result<u8, VerifyError> {
        Ok(self.take(1)?[0])
    }

    /// A big-endian u16.
    pub fn read_u16(&mut self) -> Result<u16, VerifyError> {
        Ok(u16::from_be_bytes(self.take(2)?.try_into().unwrap()))
    }

    /// A big-endian u32.
    pub fn read_u32(&mut self) -> Result<u32, VerifyError> {
        Ok(u32::from_be_bytes(self.take(4)?.try_into().unwrap()))
    }

    /// A big-endian u64.
    pub fn read_u64(&mut self) -> Result<u64, VerifyError> {
        Ok(u64::from_be_bytes(self.take(8)?.try_into().unwrap()))
    }

    /// 32 bytes.
    pub fn read_bytes32(&mut self) -> Result<B256, VerifyError> {
        Ok(B256::from_slice(self.take(32)?))
    }

    /// `n` bytes.
    pub fn read_bytes(&mut self, n: usize) -> Result<&'a [u8], VerifyError> {
        self.take(n)
    }

    /// Fails with `TrailingBytes` unless every byte was read.
    pub fn finish(&self) -> Result<(), VerifyError> {
        if self.at == self.bytes.len() {
            Ok(())
        } else {
            Err(VerifyError::TrailingBytes)
        }
    }
}
