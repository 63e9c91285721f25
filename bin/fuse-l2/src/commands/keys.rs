//! Where a process's L1 key comes from: an encrypted JSON keystore (the Web3 Secret Storage
//! format geth and foundry's `cast wallet` write) with its password in a file or the
//! environment, or the key in hex from the environment. `--key` on the command line works too,
//! for dev keys: an argument is visible to every user of the machine (`ps`) and lands in shell
//! history (docs/guides/operator.md, "Keys").

use std::path::{Path, PathBuf};

use alloy::signers::local::PrivateKeySigner;
use anyhow::{Context as _, bail};

/// The environment variable that may hold a keystore's password.
const PASSWORD_ENV: &str = "FUSE_KEYSTORE_PASSWORD";

/// The keystore options of every process that signs on L1.
#[derive(Debug, Default, clap::Args)]
pub(crate) struct KeystoreArgs {
    /// An encrypted JSON keystore holding the L1 key (geth's format, `cast wallet new`),
    /// instead of a key in hex.
    #[arg(long, env = "FUSE_KEYSTORE")]
    pub(crate) keystore: Option<PathBuf>,
    /// A file whose first line is the keystore's password (else the environment variable
    /// FUSE_KEYSTORE_PASSWORD).
    #[arg(long, env = "FUSE_KEYSTORE_PASSWORD_FILE")]
    pub(crate) password_file: Option<PathBuf>,
}

/// A private key in hex (64 digits, `0x` optional); `what` names it in the error.
pub(crate) fn parse_hex(s: &str, what: &str) -> anyhow::Result<PrivateKeySigner> {
    s.trim()
        .trim_start_matches("0x")
        .parse()
        .with_context(|| format!("{what} is not a private key (64 hex digits)"))
}

/// The key: from `hex` (the `--key` flag or its environment variable) or from the keystore,
/// exactly one of them.
pub(crate) fn load(hex: Option<&str>, ks: &KeystoreArgs) -> anyhow::Result<PrivateKeySigner> {
    match (hex, &ks.keystore) {
        (Some(_), Some(_)) => bail!(
            "both a key in hex (--key or its environment variable) and --keystore are given; \
             give one"
        ),
        (Some(h), None) => parse_hex(h, "--key"),
        (None, Some(path)) => {
            let password = password(ks.password_file.as_deref())?;
            decrypt(path, &password)
        }
        (None, None) => bail!(
            "no L1 key: give --keystore FILE (with --password-file or {PASSWORD_ENV}), or the \
             key in hex in the environment variable --help names"
        ),
    }
}

/// The keystore's password: the first line of `file`, else the environment variable.
fn password(file: Option<&Path>) -> anyhow::Result<String> {
    if let Some(f) = file {
        let text = std::fs::read_to_string(f)
            .with_context(|| format!("reading the password file {}", f.display()))?;
        return Ok(text.lines().next().unwrap_or("").to_string());
    }
    std::env::var(PASSWORD_ENV).with_context(|| {
        format!("the keystore needs a password: --password-file FILE or {PASSWORD_ENV}")
    })
}

/// The key in keystore `path`, decrypted with `password`.
fn decrypt(path: &Path, password: &str) -> anyhow::Result<PrivateKeySigner> {
    anyhow::ensure!(path.is_file(), "no keystore file at {}", path.display());
    PrivateKeySigner::decrypt_keystore(path, password).map_err(|e| {
        anyhow::anyhow!(
            "cannot decrypt the keystore {} ({e}): a wrong password, or not a JSON keystore",
            path.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keystore(dir: &Path, key: &PrivateKeySigner, password: &str) -> PathBuf {
        PrivateKeySigner::encrypt_keystore(
            dir,
            &mut rand::thread_rng(),
            key.to_bytes(),
            password,
            Some("key.json"),
        )
        .unwrap();
        dir.join("key.json")
    }

    #[test]
    fn a_keystore_gives_its_key_and_refuses_a_wrong_password() {
        let dir = tempfile::tempdir().unwrap();
        let key = PrivateKeySigner::random();
        let path = keystore(dir.path(), &key, "correct horse");
        let pw = dir.path().join("password");
        std::fs::write(&pw, "correct horse\n").unwrap();
        let ks = KeystoreArgs {
            keystore: Some(path.clone()),
            password_file: Some(pw.clone()),
        };
        assert_eq!(load(None, &ks).unwrap().address(), key.address());

        std::fs::write(&pw, "battery staple\n").unwrap();
        let e = load(None, &ks).unwrap_err().to_string();
        assert!(e.contains("cannot decrypt the keystore"), "{e}");

        let not_json = dir.path().join("not.json");
        std::fs::write(&not_json, "{}").unwrap();
        let e = load(
            None,
            &KeystoreArgs {
                keystore: Some(not_json),
                password_file: Some(pw),
            },
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("cannot decrypt"), "{e}");
    }

    #[test]
    fn exactly_one_source_of_key() {
        let ks = KeystoreArgs {
            keystore: Some(PathBuf::from("/nonexistent/key.json")),
            password_file: None,
        };
        let hex = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
        let e = load(Some(hex), &ks).unwrap_err().to_string();
        assert!(e.contains("give one"), "{e}");
        let e = load(None, &KeystoreArgs::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("no L1 key"), "{e}");
        let e = load(None, &ks).unwrap_err().to_string();
        assert!(
            e.contains("no keystore file") || e.contains("password"),
            "{e}"
        );
        assert!(load(Some(hex), &KeystoreArgs::default()).is_ok());
        let e = load(Some("0x12"), &KeystoreArgs::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a private key"), "{e}");
    }
}
