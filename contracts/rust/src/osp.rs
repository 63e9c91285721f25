//! The one-step prover (`contracts/src/osp/`) as Rust drives it: deploy the entry and its four
//! class modules into an [`Evm`], give it an inbox (the [`InboxDouble`] test double until the
//! real Inbox lands), and run `proveOneStep` as a transaction, reporting gas. Reverts decode
//! to the custom error's name and arguments, written as `fuse_verifier::VerifyError`'s `Debug` does,
//! so the two verifiers' rejections compare as strings.

use alloy_primitives::{Address, B256, U256, keccak256};
use alloy_sol_types::{SolCall, SolValue};

use crate::evm::{Evm, EvmError};

binding!(entry, OneStepProver, "../artifacts/OneStepProver.json");
binding!(control, ProverControl, "../artifacts/ProverControl.json");
binding!(math, ProverMath, "../artifacts/ProverMath.json");
binding!(memory, ProverMemory, "../artifacts/ProverMemory.json");
binding!(host, ProverHost, "../artifacts/ProverHost.json");
binding!(inbox_double, InboxDouble, "../artifacts/InboxDouble.json");

/// What one `proveOneStep` transaction did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepResult {
    /// The post-state hash, or the rejection (`Name(args)`, as `VerifyError`'s `Debug`).
    pub post: Result<B256, String>,
    /// Total transaction gas (intrinsic, calldata and EIP-7623 floor included).
    pub gas_used: u64,
    /// Gas before the floor: 21,000 + standard calldata cost + execution (0 if reverted).
    pub gas_spent: u64,
    /// The transaction's EIP-7623 calldata floor (0 if reverted).
    pub floor_gas: u64,
    /// The calldata.
    pub calldata: Vec<u8>,
}

impl StepResult {
    /// Standard calldata cost: 4 gas a token (a zero byte is one token, any other byte four).
    pub fn calldata_gas(&self) -> u64 {
        4 * self
            .calldata
            .iter()
            .map(|&b| if b == 0 { 1 } else { 4 })
            .sum::<u64>()
    }

    /// Gas the EVM spent executing (the transaction minus base and standard calldata cost).
    pub fn execution_gas(&self) -> u64 {
        self.gas_spent.saturating_sub(21_000 + self.calldata_gas())
    }
}

/// The one-step prover deployed in an [`Evm`].
pub struct Osp {
    /// The entry contract.
    pub entry: Address,
}

impl Osp {
    /// Deploys the four modules and the entry.
    pub fn deploy(evm: &mut Evm) -> Result<Osp, EvmError> {
        let control = evm.deploy(&ProverControl::BYTECODE)?;
        let math = evm.deploy(&ProverMath::BYTECODE)?;
        let memory = evm.deploy(&ProverMemory::BYTECODE)?;
        let host = evm.deploy(&ProverHost::BYTECODE)?;
        let mut code = OneStepProver::BYTECODE.to_vec();
        code.extend((control, math, memory, host).abi_encode_params());
        Ok(Osp {
            entry: evm.deploy(&code)?,
        })
    }

    /// Deploys an inbox double holding `accumulators` (message 0 first).
    pub fn inbox(evm: &mut Evm, accumulators: &[B256]) -> Result<Address, EvmError> {
        let inbox = evm.deploy(&InboxDouble::BYTECODE)?;
        for acc in accumulators {
            let call = InboxDouble::pushCall { accumulator_: *acc }.abi_encode();
            evm.send(evm.sender, inbox, &call, U256::ZERO)?;
        }
        Ok(inbox)
    }

    /// The calldata of `proveOneStep(context, preHash, proof)`.
    pub fn calldata(inbox: Address, pre: B256, proof: &[u8]) -> Vec<u8> {
        OneStepProver::proveOneStepCall {
            context: OneStepProver::ExecutionContext { inbox },
            preHash: pre,
            proof: proof.to_vec().into(),
        }
        .abi_encode()
    }

    /// Runs `proveOneStep` as a transaction (not committed) against the inbox at `inbox`.
    pub fn prove_one_step(
        &self,
        evm: &mut Evm,
        inbox: Address,
        pre: B256,
        proof: &[u8],
    ) -> Result<StepResult, EvmError> {
        let data = Self::calldata(inbox, pre, proof);
        match evm.call(self.entry, &data) {
            Ok(out) => Ok(StepResult {
                post: Ok(B256::from_slice(&out.output[..32])),
                gas_used: out.gas_used,
                gas_spent: out.gas_spent,
                floor_gas: out.floor_gas,
                calldata: data,
            }),
            Err(EvmError::Revert { output, gas_used }) => Ok(StepResult {
                post: Err(decode_error(&output)),
                gas_used,
                gas_spent: 0,
                floor_gas: 0,
                calldata: data,
            }),
            Err(e) => Err(e),
        }
    }
}

/// Revert data as `Name` or `Name(n)`, or `unknown revert 0x…`.
pub fn decode_error(output: &[u8]) -> String {
    let unknown = || format!("unknown revert 0x{}", alloy_primitives::hex::encode(output));
    if output.len() < 4 {
        return unknown();
    }
    // The errors of `contracts/src/osp/Errors.sol`, which is generated from this same table.
    for e in fuse_verifier::VerifyError::SOLIDITY {
        if keccak256(e.signature().as_bytes())[..4] != output[..4] {
            continue;
        }
        let name = e.name;
        if e.param.is_none() {
            return name.to_string();
        }
        return match output.get(4..36) {
            Some(word) => format!("{name}({})", U256::from_be_slice(word)),
            None => unknown(),
        };
    }
    unknown()
}
