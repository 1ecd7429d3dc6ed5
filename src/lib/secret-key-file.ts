import fs from 'node:fs';
import path from 'node:path';
import type { SecretsConfig } from '../config';
import { generateSecretKey, keyring, parseSecretKey, type SecretKeyring } from './secrets';

/** The file the embedded default keeps its generated key in, inside the data folder. */
export const SECRETS_KEY_FILE = 'secrets.key';

/**
 * The keyring the server and the CLI use: SECRETS_KEY when set; otherwise the key in
 * `<dataDir>/secrets.key`, generated there (mode 0600) on first start and reused after, so the
 * embedded default needs no setup. SECRETS_KEY_PREVIOUS keys are added for decryption only.
 */
export function loadSecretKeyring(config: SecretsConfig, dataDir: string): SecretKeyring {
  const previous = config.previousKeys.map((k) => parseSecretKey('SECRETS_KEY_PREVIOUS', k));
  if (config.key) return keyring(parseSecretKey('SECRETS_KEY', config.key), previous);
  const file = path.join(dataDir, SECRETS_KEY_FILE);
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    fs.mkdirSync(dataDir, { recursive: true });
    try {
      // `wx`: two processes starting at once must not both write a different key; the loser reads the winner's.
      fs.writeFileSync(file, generateSecretKey() + '\n', { mode: 0o600, flag: 'wx' });
    } catch (writeErr) {
      if ((writeErr as NodeJS.ErrnoException).code !== 'EEXIST') throw writeErr;
    }
    raw = fs.readFileSync(file, 'utf8');
  }
  return keyring(parseSecretKey(file, raw), previous);
}
