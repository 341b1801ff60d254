// Runs `prisma generate` without the Prisma schema engine binary, which the CLI otherwise
// downloads on every command, so `npm install` works offline. Generate never runs that
// engine (checked with prisma 7.10): when PRISMA_SCHEMA_ENGINE_BINARY is set, the CLI only
// checks that the file exists and skips the download.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function placeholderEngine() {
  const dir = path.join(root, 'node_modules', '.cache', 'guichet');
  const file = path.join(dir, 'schema-engine-placeholder');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, '');
  }
  return file;
}

const env = { ...process.env };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY) env.PRISMA_SCHEMA_ENGINE_BINARY = placeholderEngine();

const cli = createRequire(import.meta.url).resolve('prisma/build/index.js');
const result = spawnSync(process.execPath, [cli, 'generate'], {
  cwd: root,
  env,
  stdio: 'inherit',
});

if (result.error) {
  console.error(`Failed to run prisma generate: ${result.error.message}`);
  process.exit(1);
}
// A null status means prisma was killed by a signal.
process.exit(result.status ?? 1);
