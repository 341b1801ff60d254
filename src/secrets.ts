import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Generated secrets that must survive restarts, kept in DATA_DIR/secrets.json (mode 0600). */
export interface StoredSecrets {
  sessionSecret: string;
  embeddedDbPassword: string;
}

/** Reads the stored secrets, generating and saving any that are missing. */
export async function loadStoredSecrets(dataDir: string): Promise<StoredSecrets> {
  const file = path.join(dataDir, 'secrets.json');
  let stored: Partial<StoredSecrets> = {};
  try {
    stored = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new Error(`Cannot read ${file}: ${(error as Error).message}. Fix or delete the file.`);
    }
  }
  const secrets: StoredSecrets = {
    sessionSecret: stored.sessionSecret ?? randomBytes(32).toString('base64url'),
    embeddedDbPassword: stored.embeddedDbPassword ?? randomBytes(24).toString('base64url'),
  };
  if (
    secrets.sessionSecret !== stored.sessionSecret ||
    secrets.embeddedDbPassword !== stored.embeddedDbPassword
  ) {
    await mkdir(dataDir, { recursive: true });
    await writeFile(file, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600 });
  }
  return secrets;
}
