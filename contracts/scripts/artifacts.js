#!/usr/bin/env node
// Writes or checks the committed contract artifacts in contracts/artifacts/.
//
//   node scripts/artifacts.js          build with forge, then write artifacts/<Contract>.json
//   node scripts/artifacts.js --check  build with forge, then fail naming every artifact that
//                                      differs from the fresh build (stale, missing or extra)
//
// An artifact holds exactly what the Rust bindings (fuse-contracts) embed: the ABI and the
// creation and runtime bytecode, in forge's layout so alloy's `sol!` reads it directly.
// forge is the only compiler: nothing else in the repository compiles Solidity.
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const root = path.join(__dirname, '..');
const forge = path.join(root, 'node_modules/@foundry-rs/forge-linux-amd64/bin/forge');
const outDir = path.join(root, 'out');
const artifactsDir = path.join(root, 'artifacts');
const check = process.argv.includes('--check');

execFileSync(forge, ['build', '--skip', 'test', '--quiet'], { cwd: root, stdio: 'inherit' });

function* walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (e.name.endsWith('.json')) yield p;
  }
}

const fresh = new Map();
for (const file of walk(outDir)) {
  const a = JSON.parse(fs.readFileSync(file, 'utf8'));
  const target = a.metadata && a.metadata.settings && a.metadata.settings.compilationTarget;
  if (!target) continue;
  const [source, name] = Object.entries(target)[0];
  if (!source.startsWith('src/')) continue;
  const runtime = a.deployedBytecode && a.deployedBytecode.object;
  if (!Array.isArray(a.abi) || a.abi.length === 0 || !runtime || runtime === '0x') continue;
  // A library of internal functions has only errors in its ABI: nothing for Rust to call.
  if (!a.abi.some((e) => e.type !== 'error')) continue;
  if (fresh.has(name)) throw new Error(`two contracts named ${name}: names must be unique`);
  // The hashes of every source in the compilation (the contract's file and its imports), so
  // any byte change to them (a comment too) makes the artifact stale, not only changes that
  // alter the bytecode.
  const sources = {};
  for (const [p, meta] of Object.entries(a.metadata.sources || {}).sort()) sources[p] = meta.keccak256;
  const artifact = {
    contractName: name,
    source,
    sources,
    abi: a.abi,
    bytecode: { object: a.bytecode.object },
    deployedBytecode: { object: runtime },
  };
  fresh.set(name, JSON.stringify(artifact, null, 2) + '\n');
}
if (fresh.size === 0) throw new Error('forge produced no contracts under src/');

if (!check) {
  fs.mkdirSync(artifactsDir, { recursive: true });
  for (const f of fs.readdirSync(artifactsDir)) {
    if (f.endsWith('.json') && !fresh.has(f.slice(0, -5))) fs.unlinkSync(path.join(artifactsDir, f));
  }
  for (const [name, text] of fresh) fs.writeFileSync(path.join(artifactsDir, `${name}.json`), text);
  console.log(`wrote ${fresh.size} artifacts to contracts/artifacts/: ${[...fresh.keys()].sort().join(', ')}`);
  process.exit(0);
}

const problems = [];
const committed = fs.existsSync(artifactsDir)
  ? fs.readdirSync(artifactsDir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5))
  : [];
for (const [name, text] of fresh) {
  const p = path.join(artifactsDir, `${name}.json`);
  if (!fs.existsSync(p)) problems.push(`missing artifact: contracts/artifacts/${name}.json`);
  else if (fs.readFileSync(p, 'utf8') !== text)
    problems.push(`stale artifact: contracts/artifacts/${name}.json differs from a fresh compile of its sources`);
}
for (const name of committed) {
  if (!fresh.has(name)) problems.push(`extra artifact: contracts/artifacts/${name}.json has no contract in src/`);
}
if (problems.length) {
  for (const p of problems) console.error(p);
  console.error('regenerate with: (cd contracts && node scripts/artifacts.js)');
  process.exit(1);
}
console.log(`artifacts up to date: ${fresh.size} contracts`);
