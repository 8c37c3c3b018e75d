/**
 * The api role's bearer token: 32 random bytes (base64url) in `<credentials dir>/api.token`,
 * mode 0600, generated with the mesh's other credentials and kept across restarts like the
 * seeds (replaced on rotation). Whoever may read the credentials directory may call the API.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SliceMeshError } from '../../contracts/errors.js';
import { writePrivateFile } from './credentials.js';

export const API_TOKEN_FILE = 'api.token';

/** Shortest token accepted from a file: a guessable one would make the bearer check moot. */
const MIN_TOKEN_CHARS = 16;

/** Where the api token of a credentials directory lives. */
export function apiTokenPath(dir: string): string {
  return join(dir, API_TOKEN_FILE);
}

/** Makes sure `dir` holds an api token; true when it was generated now. */
export function ensureApiToken(dir: string, options: { rotate?: boolean } = {}): boolean {
  const file = apiTokenPath(dir);
  if (options.rotate !== true && existsSync(file)) {
    chmodSync(file, 0o600);
    return false;
  }
  writePrivateFile(file, `${randomBytes(32).toString('base64url')}\n`);
  return true;
}

/** Reads a token file (trimmed); a `config` error names the file when it is missing or too short. */
export function readApiToken(file: string): string {
  let token: string;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new SliceMeshError('config', `cannot read the api token file ${file}`, { cause: error });
  }
  if (token.length < MIN_TOKEN_CHARS) {
    throw new SliceMeshError(
      'config',
      `the api token in ${file} is shorter than ${MIN_TOKEN_CHARS} characters`,
    );
  }
  return token;
}
