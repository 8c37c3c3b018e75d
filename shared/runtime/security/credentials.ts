/**
 * One nkey per identity, each in its own seed file (mode 0600, in a 0700
 * directory). Existing seeds are kept, so identities stay stable across
 * restarts and a rerun only adds what is missing; `rotate` replaces them all.
 */
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { nkeys } from '@nats-io/nats-core';
import { readSeedFile } from '../../bus/auth.js';
import { assertToken } from '../../contracts/subjects.js';

/** File name of an identity's seed. */
export function seedFileName(identity: string): string {
  return `${assertToken(identity, 'identity')}.nk`;
}

/** Path of `identity`'s seed in a credentials directory. */
export function seedFilePath(dir: string, identity: string): string {
  return resolve(dir, seedFileName(identity));
}

/** An identity, the file its seed is in, and its public key (what the server's configuration lists). */
export interface IdentityCredential {
  readonly identity: string;
  readonly seedFile: string;
  readonly publicKey: string;
}

export interface EnsuredCredentials {
  readonly credentials: IdentityCredential[];
  /** Identities whose seed was written now. */
  readonly created: string[];
}

/** The public key of the seed in `file`. */
export function publicKeyOf(file: string): string {
  const pair = nkeys.fromSeed(readSeedFile(file));
  try {
    return pair.getPublicKey();
  } finally {
    pair.clear();
  }
}

/**
 * Writes `text` to `file` atomically with mode 0600. The temp file is created
 * fresh (`wx`, after removing a stale one), so the text never lands in a file
 * left behind with wider permissions.
 */
export function writePrivateFile(file: string, text: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  rmSync(temp, { force: true });
  writeFileSync(temp, text, { mode: 0o600, flag: 'wx' });
  // The umask may have taken bits away, never added them; still, say exactly what it is.
  chmodSync(temp, 0o600);
  renameSync(temp, file);
}

function writeSeed(file: string): void {
  const pair = nkeys.createUser();
  try {
    writePrivateFile(file, `${new TextDecoder().decode(pair.getSeed())}\n`);
  } finally {
    pair.clear();
  }
}

/** Makes sure `dir` holds a seed for every identity; returns them all with their public keys. */
export function ensureCredentials(
  dir: string,
  identities: readonly string[],
  options: { rotate?: boolean } = {},
): EnsuredCredentials {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const created: string[] = [];
  const credentials = identities.map((identity) => {
    const seedFile = seedFilePath(dir, identity);
    if (options.rotate === true || !existsSync(seedFile)) {
      writeSeed(seedFile);
      created.push(identity);
    } else {
      chmodSync(seedFile, 0o600);
    }
    return { identity, seedFile, publicKey: publicKeyOf(seedFile) };
  });
  return { credentials, created };
}

/** Where the embedded mesh of `namespace` keeps its generated credentials. */
export function embeddedSecurityDir(dataDir: string, namespace: string): string {
  return join(resolve(dataDir), 'security', assertToken(namespace, 'namespace'));
}
