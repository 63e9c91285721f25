# Sourced by the scripts: puts the pinned forge/anvil/cast on PATH.
FUSE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
for tool in forge anvil cast; do
  PATH="$FUSE_ROOT/contracts/node_modules/@foundry-rs/$tool-linux-amd64/bin:$PATH"
done
export PATH FUSE_ROOT
