/**
 * `npm run mail:pipe`: reads one email from standard input, as a mail server's pipe delivery
 * gives it, stores it and processes it. Exit codes follow sysexits.h, which mail servers read:
 * 0 stored (even when quarantined or ignored), 65 empty input, 75 database unreachable or
 * unset (the mail server keeps the message and tries again later).
 */
import { ConfigError, loadConfig } from '../../config.ts';
import { createDatabaseClient } from '../../db/client.ts';
import { createLogger } from '../../logger.ts';
import { withReplySecret } from '../reply-address.ts';
import { loadStoredSecrets } from '../../secrets.ts';
import { processInboundMessage, storeInboundMessage } from './ingest.ts';

const EX_OK = 0;
const EX_DATAERR = 65;
const EX_TEMPFAIL = 75;
const EX_CONFIG = 78;

async function readInput(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function fail(code: number, message: string): number {
  process.stderr.write(`mail:pipe: ${message}\n`);
  return code;
}

async function run(): Promise<number> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) return fail(EX_CONFIG, error.message);
    throw error;
  }
  if (!config.DATABASE_URL) {
    return fail(
      EX_TEMPFAIL,
      'DATABASE_URL is not set. The embedded database belongs to the running Guichet server ' +
        'and cannot be shared: set DATABASE_URL to a PostgreSQL server to receive email by pipe.',
    );
  }
  const raw = await readInput();
  if (raw.length === 0 || raw.toString('latin1').trim() === '') {
    return fail(EX_DATAERR, 'the input is empty: no email to store');
  }

  const secrets = await loadStoredSecrets(config.dataDir);
  const deps = {
    db: createDatabaseClient(config.DATABASE_URL, 2),
    config: withReplySecret(config, config.SESSION_SECRET ?? secrets.sessionSecret),
    logger: createLogger(config.LOG_LEVEL),
  };
  try {
    let stored;
    try {
      stored = await storeInboundMessage(deps, raw, 'pipe');
    } catch (error) {
      const reason = (error as Error).message.split('\n')[0];
      return fail(EX_TEMPFAIL, `storing the email failed, the database is unreachable: ${reason}`);
    }
    if (!stored.duplicate) {
      try {
        await processInboundMessage(deps, stored.id);
      } catch (error) {
        // The message is stored, so the server's periodic pass processes it later.
        deps.logger.warn({ err: error, inboundId: stored.id }, 'Email stored, processing deferred');
      }
    }
    return EX_OK;
  } finally {
    await deps.db.$disconnect().catch(() => undefined);
  }
}

try {
  process.exitCode = await run();
} catch (error) {
  process.exitCode = fail(EX_TEMPFAIL, (error as Error).message.split('\n')[0]);
}
