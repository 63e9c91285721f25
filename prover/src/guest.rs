//! The guest module (vm/arbos/guest): its committed build, its reproducible rebuild, and its
//! module root.
//!
//! The bytes every party runs are the ones committed at `test-vectors/guest/fuse_guest.wasm`
//! (the module root L1 records is theirs); `test-vectors/guest/module.json` says what they
//! are. [`build`] runs cargo exactly as docs/design.md#rule-15 asks — the dedicated `guest`
//! profile, `--locked`, the link arguments of `.cargo/config.toml` (memory cap, stack), and
//! path remapping that makes the bytes independent of where the checkout and the cargo home
//! live — with no post-processing. The test command rebuilds and compares byte for byte, and
//! rebuilds once more with symbols kept to check the function names of [`crate::names`].

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use alloy_primitives::{B256, keccak256};
use anyhow::{Context as _, bail};
use fuse_vm::{Module, load};
use serde::{Deserialize, Serialize};

use crate::names::{NAMES_PATH, NameMap};

/// The committed module, relative to the repository root.
pub const WASM_PATH: &str = "test-vectors/guest/fuse_guest.wasm";
/// What the committed module is (module root, size, toolchain), relative to the root.
pub const MANIFEST_PATH: &str = "test-vectors/guest/module.json";
/// The target, the profile and the package of the build.
pub const TARGET: &str = "wasm32v1-none";
/// The cargo profile (workspace Cargo.toml).
pub const PROFILE: &str = "guest";
/// The guest's package.
pub const PACKAGE: &str = "fuse-guest";

/// The committed module's bytes, compiled into this crate so every test and command runs the
/// same guest without touching the file system.
pub static WASM: &[u8] = include_bytes!("../../test-vectors/guest/fuse_guest.wasm");

/// The committed module, loaded once per process.
pub fn module() -> Arc<Module> {
    static MODULE: OnceLock<Arc<Module>> = OnceLock::new();
    MODULE
        .get_or_init(|| Arc::new(load(WASM).expect("the committed guest loads")))
        .clone()
}

/// What `module.json` records about the committed module.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The module root (docs/spec/machine-hash.md) L1 records for assertions.
    pub module_root: B256,
    /// keccak256 of the wasm bytes.
    pub wasm_keccak: B256,
    /// Size of the wasm bytes.
    pub wasm_bytes: usize,
    /// `rustc --version` of the build (rust-toolchain.toml pins it).
    pub rustc: String,
    /// How to rebuild it.
    pub build: String,
}

impl Manifest {
    /// The manifest of `wasm`, built by `rustc`.
    pub fn of(wasm: &[u8], rustc: String) -> anyhow::Result<Manifest> {
        let module = load(wasm).context("the guest does not load into the machine")?;
        Ok(Manifest {
            module_root: module.root,
            wasm_keccak: keccak256(wasm),
            wasm_bytes: wasm.len(),
            rustc,
            build: "fuse-l2 guest build --write".into(),
        })
    }
}

/// The repository root (two levels above this crate).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("prover/ has a parent")
        .to_path_buf()
}

fn cargo_home() -> anyhow::Result<PathBuf> {
    if let Some(h) = std::env::var_os("CARGO_HOME") {
        return Ok(PathBuf::from(h));
    }
    let home = std::env::var_os("HOME").context("neither CARGO_HOME nor HOME is set")?;
    Ok(PathBuf::from(home).join(".cargo"))
}

/// A cargo command at `root` with nothing inherited that could change the bytes.
fn cargo(root: &Path) -> Command {
    let mut c = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    c.current_dir(root);
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_TARGET_WASM32V1_NONE_RUSTFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_BUILD_TARGET_DIR",
        "CARGO_TARGET_DIR",
    ] {
        c.env_remove(var);
    }
    c
}

/// `rustc --version` of the toolchain cargo uses at `root`.
pub fn rustc_version(root: &Path) -> anyhow::Result<String> {
    let out = Command::new("rustc")
        .current_dir(root)
        .arg("--version")
        .output()
        .context("running rustc --version")?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Builds the guest from the sources at `root` and returns the module's bytes.
pub fn build(root: &Path) -> anyhow::Result<Vec<u8>> {
    build_with(root, false)
}

/// Builds the guest as [`build`] does but keeping its symbols (`strip = false`, in a target
/// directory of its own so the stripped build's artifacts stay): the `name` section the name
/// map is read from ([`crate::names`]).
pub fn build_named(root: &Path) -> anyhow::Result<Vec<u8>> {
    build_with(root, true)
}

fn build_with(root: &Path, named: bool) -> anyhow::Result<Vec<u8>> {
    let root = root
        .canonicalize()
        .with_context(|| format!("no repository at {}", root.display()))?;
    let remaps = format!(
        "target.{TARGET}.rustflags=[\"--remap-path-prefix={}=/fuse\", \"--remap-path-prefix={}=/cargo\"]",
        root.display(),
        cargo_home()?.display()
    );
    let target_dir = root
        .join("target")
        .join(if named { "guest-named" } else { "" });
    let mut c = cargo(&root);
    c.args([
        "build", "--locked", "--quiet", "-p", PACKAGE, "--target", TARGET,
    ])
    .args(["--profile", PROFILE, "--config", &remaps]);
    if named {
        c.args(["--config", &format!("profile.{PROFILE}.strip=false")])
            .arg("--target-dir")
            .arg(&target_dir);
    }
    let status = c.status().context("running cargo")?;
    if !status.success() {
        bail!("cargo build of the guest failed ({status})");
    }
    let path = target_dir
        .join(TARGET)
        .join(PROFILE)
        .join("fuse_guest.wasm");
    std::fs::read(&path).with_context(|| format!("reading {}", path.display()))
}

/// Rebuilds the guest and checks it against the committed module and manifest, byte for byte.
pub fn check(root: &Path) -> anyhow::Result<Manifest> {
    let built = build(root)?;
    let committed =
        std::fs::read(root.join(WASM_PATH)).with_context(|| format!("reading {WASM_PATH}"))?;
    if built != committed {
        bail!(
            "the guest rebuilt to {} bytes (keccak {}) but {WASM_PATH} has {} bytes (keccak {}): \
             rebuild with `fuse-l2 guest build --write` and commit, or find what made the build \
             differ",
            built.len(),
            keccak256(&built),
            committed.len(),
            keccak256(&committed)
        );
    }
    let manifest = Manifest::of(&built, rustc_version(root)?)?;
    let text = std::fs::read_to_string(root.join(MANIFEST_PATH))
        .with_context(|| format!("reading {MANIFEST_PATH}"))?;
    let recorded: Manifest =
        serde_json::from_str(&text).with_context(|| format!("parsing {MANIFEST_PATH}"))?;
    if recorded != manifest {
        bail!("{MANIFEST_PATH} is stale: it records {recorded:?}, the build is {manifest:?}");
    }
    let names = NameMap::of_build(&build_named(root)?, &built)?;
    if names != crate::names::read(root)? {
        bail!("{NAMES_PATH} is stale: rebuild it with `fuse-l2 guest build --write` and commit");
    }
    Ok(manifest)
}

/// Rebuilds the guest and writes the module and its manifest.
pub fn write(root: &Path) -> anyhow::Result<Manifest> {
    let built = build(root)?;
    let manifest = Manifest::of(&built, rustc_version(root)?)?;
    std::fs::write(root.join(WASM_PATH), &built)?;
    std::fs::write(
        root.join(MANIFEST_PATH),
        serde_json::to_string_pretty(&manifest)? + "\n",
    )?;
    let names = NameMap::of_build(&build_named(root)?, &built)?;
    std::fs::write(root.join(NAMES_PATH), names.to_json())?;
    Ok(manifest)
}
