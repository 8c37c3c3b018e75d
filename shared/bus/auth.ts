/**
 * How a bus connection proves who it is: an nkey seed file (NATS users with
 * nkeys, see docs/operations.md#security) and optional TLS files. Seeds are
 * read from their file at every (re)connect and never kept elsewhere, so they
 * cannot end up in a log line, a span or a config dump, and a rotated file is
 * picked up by the next reconnect.
 */
import { readFileSync, statSync } from 'node:fs';
import { nkeyAuthenticator, type Authenticator, type TlsOptions } from '@nats-io/nats-core';
import { SliceMeshError } from '../contracts/errors.js';

/** Files of a TLS connection: the CA that signed the server's certificate, and a client certificate for mutual TLS. */
export interface TlsFiles {
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
}

/** A user seed as nkeys encode it: `SU` and base32 (the public key it belongs to starts with `U`). */
const USER_SEED = /^SU[A-Z2-7]{56}$/;

/** The seed in `file` (one line, written by `slicemesh security init` or `slicemesh up`). */
export function readSeedFile(file: string): Uint8Array {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new SliceMeshError('config', `cannot read the NATS seed file ${file}`, { cause: error });
  }
  const seed = text.trim();
  // The content is never part of the message: a wrong file may still hold a secret.
  if (!USER_SEED.test(seed))
    throw new SliceMeshError('config', `${file} does not hold an nkey user seed`);
  return new TextEncoder().encode(seed);
}

/** Mode bits a seed file may have: none for group and others. */
export function isPrivateFile(file: string): boolean {
  return (statSync(file).mode & 0o077) === 0;
}

/** The nats.js authenticator of a seed file (read on every connect). */
export function seedFileAuthenticator(file: string): Authenticator {
  readSeedFile(file); // a missing or malformed file fails now, with a config error
  return nkeyAuthenticator(() => readSeedFile(file));
}

/** nats.js TLS options for `files`, or undefined when none is set. */
export function tlsOptions(files: TlsFiles | undefined): TlsOptions | undefined {
  if (!files) return undefined;
  const options: TlsOptions = {};
  if (files.caFile) options.caFile = files.caFile;
  if (files.certFile) options.certFile = files.certFile;
  if (files.keyFile) options.keyFile = files.keyFile;
  return Object.keys(options).length > 0 ? options : undefined;
}
