import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { simpleParser, type ParsedMail } from 'mailparser';

const repositoryRoot = path.resolve(import.meta.dirname, '../..');

/** An estimate that leaves room for tsx to compile the sources and to migrate a new database. */
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;
const POLL_INTERVAL_MS = 100;
/** The end of the server's output kept for error messages. */
const MAX_OUTPUT_CHARS = 20_000;

/** Variables copied from the test process. startServer takes every other one from `env`. */
const INHERITED_VARIABLES = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ'];

export interface TestServer {
  baseUrl: string;
  dataDir: string;
  /** Every .eml file the file transport wrote to DATA_DIR/mail, sorted by file name. */
  readEmails(): Promise<ParsedMail[]>;
  /** Resolves with the first email that matches, polling DATA_DIR/mail until `timeoutMs`. */
  waitForEmail(predicate: (email: ParsedMail) => boolean, timeoutMs?: number): Promise<ParsedMail>;
  /** Sends SIGTERM, waits for the process to exit and deletes DATA_DIR. */
  stop(): Promise<void>;
}

export type ServerEnvironment = Record<string, string> & { DATABASE_URL: string };

/** Returns a TCP port that was free on 127.0.0.1 a moment ago. */
async function findFreePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', resolve);
  });
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function isHealthy(baseUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

/**
 * Starts Guichet as a separate process (`node --import tsx src/server.ts`) on a free port of
 * 127.0.0.1, with a new temporary DATA_DIR and the file mail transport unless `env` sets
 * another one. Resolves once GET /healthz returns 200. The server's log output (LOG_LEVEL=warn
 * unless `env` sets it) is copied to this process's stderr.
 */
export async function startServer(env: ServerEnvironment): Promise<TestServer> {
  const port = await findFreePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const dataDir = await mkdtemp(path.join(tmpdir(), 'guichet-server-'));
  const mailDir = path.join(dataDir, 'mail');

  const inherited = Object.fromEntries(
    INHERITED_VARIABLES.filter((name) => process.env[name] !== undefined).map((name) => [
      name,
      process.env[name],
    ]),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: repositoryRoot,
    env: {
      ...inherited,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      MAIL_TRANSPORT: 'file',
      ...env,
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      BASE_URL: baseUrl,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  let output = '';
  const keepOutput = (chunk: Buffer) => {
    process.stderr.write(chunk);
    output = (output + chunk.toString('utf8')).slice(-MAX_OUTPUT_CHARS);
  };
  child.stdout.on('data', keepOutput);
  child.stderr.on('data', keepOutput);

  let exitStatus: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitStatus = signal ? `signal ${signal}` : `code ${code}`;
      resolve();
    });
  });

  const stop = async () => {
    if (exitStatus === undefined) {
      child.kill('SIGTERM');
      const timedOut = await Promise.race([
        exited.then(() => false),
        sleep(STOP_TIMEOUT_MS, true, { ref: false }),
      ]);
      if (timedOut) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    await rm(dataDir, { recursive: true, force: true });
  };

  const startedAt = Date.now();
  while (!(await isHealthy(baseUrl))) {
    if (exitStatus !== undefined || Date.now() - startedAt > START_TIMEOUT_MS) {
      const problem =
        exitStatus !== undefined
          ? `exited with ${exitStatus}`
          : `did not answer GET /healthz with 200 within ${START_TIMEOUT_MS} ms`;
      await stop();
      throw new Error(`Guichet server on ${baseUrl} ${problem}. Its output:\n${output}`);
    }
    await sleep(POLL_INTERVAL_MS);
  }

  const readEmailFiles = async (): Promise<{ file: string; email: ParsedMail }[]> => {
    let names: string[];
    try {
      names = await readdir(mailDir);
    } catch (error) {
      // The file transport creates the folder when it writes its first email.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const files = names.filter((name) => name.endsWith('.eml')).sort();
    return Promise.all(
      files.map(async (file) => {
        const email = await simpleParser(await readFile(path.join(mailDir, file)));
        return { file, email };
      }),
    );
  };

  const readEmails = async () => (await readEmailFiles()).map(({ email }) => email);

  const waitForEmail = async (predicate: (email: ParsedMail) => boolean, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const emails = await readEmailFiles();
      const match = emails.find(({ email }) => predicate(email));
      if (match) {
        // The transport writes each file with one writeFile call, which is not atomic, so the
        // match may have been read half-written. It is read again after one more interval.
        // NOTE: a file still being written after that interval would be returned truncated.
        await sleep(POLL_INTERVAL_MS);
        return simpleParser(await readFile(path.join(mailDir, match.file)));
      }
      if (Date.now() > deadline) {
        const subjects = emails
          .map(({ email }) => `  - ${email.subject ?? '(no subject)'}`)
          .join('\n');
        throw new Error(
          `No matching email in ${mailDir} after ${timeoutMs} ms. ` +
            `Emails written so far:\n${subjects || '  (none)'}`,
        );
      }
      await sleep(POLL_INTERVAL_MS);
    }
  };

  return { baseUrl, dataDir, readEmails, waitForEmail, stop };
}
