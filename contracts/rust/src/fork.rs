//! The one EVM fork of the project (docs/design.md#rule-13).
//!
//! It is named once, as `evm_version` in `contracts/foundry.toml`, which solc compiles with;
//! revm runs with the matching [`spec_id`]. anvil, where tests start it, runs at its own default
//! hardfork, not this one (docs/design.md#rule-13 says why that is harmless).

use revm::primitives::hardfork::SpecId;

const FOUNDRY_TOML: &str = include_str!("../../foundry.toml");

/// The fork name exactly as `contracts/foundry.toml` writes it (lower case, e.g. `osaka`).
pub const EVM_FORK: &str = parse_evm_version(FOUNDRY_TOML);

/// The fork name as solc and anvil spell it.
pub fn evm_fork() -> &'static str {
    EVM_FORK
}

/// revm's identifier of [`EVM_FORK`].
pub fn spec_id() -> SpecId {
    // revm names forks in title case ("Osaka"); solc and anvil in lower case.
    let mut name = String::with_capacity(EVM_FORK.len());
    let mut chars = EVM_FORK.chars();
    if let Some(c) = chars.next() {
        name.extend(c.to_uppercase());
    }
    name.extend(chars);
    name.parse().unwrap_or_else(|_| {
        panic!("foundry.toml names evm_version {EVM_FORK:?}, which revm does not know")
    })
}

/// Finds `evm_version = "<name>"` in foundry.toml at compile time.
const fn parse_evm_version(toml: &str) -> &str {
    let b = toml.as_bytes();
    let key = b"evm_version";
    let mut i = 0;
    while i + key.len() < b.len() {
        let at_line_start = i == 0 || b[i - 1] == b'\n';
        let mut m = at_line_start;
        let mut k = 0;
        while m && k < key.len() {
            m = b[i + k] == key[k];
            k += 1;
        }
        if m {
            let mut j = i + key.len();
            while j < b.len() && b[j] != b'"' {
                j += 1;
            }
            let start = j + 1;
            let mut end = start;
            while end < b.len() && b[end] != b'"' {
                end += 1;
            }
            assert!(end < b.len(), "foundry.toml: unterminated evm_version");
            let (_, rest) = toml.split_at(start);
            let (name, _) = rest.split_at(end - start);
            return name;
        }
        i += 1;
    }
    panic!("foundry.toml has no evm_version line")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fork_is_read_from_foundry_toml_and_known_to_revm() {
        assert!(FOUNDRY_TOML.contains(&format!("evm_version = \"{EVM_FORK}\"")));
        assert_eq!(<&str>::from(spec_id()).to_lowercase(), EVM_FORK);
    }
}
