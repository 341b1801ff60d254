import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';

/** Debian's dovecot-core binary, installed with the dovecot-imapd package. */
export const DOVECOT_PATH = '/usr/sbin/dovecot';

/**
 * Reason to skip IMAP tests on a machine without Dovecot, or false. CI installs Dovecot, so
 * there a missing binary fails the tests instead of skipping them.
 */
export const dovecotSkipReason: string | false =
  existsSync(DOVECOT_PATH) || process.env.CI
    ? false
    : `Dovecot not found at ${DOVECOT_PATH}; install it with apt-get install dovecot-imapd`;

export interface TestDovecot {
  host: string;
  port: number;
  user: string;
  password: string;
  /** Folder of the configuration, logs and mailboxes. */
  folder: string;
  /** Stops Dovecot and deletes its folder, mail included, unless keepFolder is set. */
  stop(options?: { keepFolder?: boolean }): Promise<void>;
}

export interface DovecotOptions {
  /** Port to listen on; by default a free one. A restart on the same port reuses `folder`. */
  port?: number;
  /** Folder of an instance stopped with keepFolder, to keep its mailboxes across a restart. */
  folder?: string;
  /** Leaves IDLE out of the capabilities announced after login, like servers without it. */
  withoutIdle?: boolean;
}

const USER = 'helpdesk';
const PASSWORD = 'imap-test-password';
const START_TIMEOUT_MS = 10_000;

/** Returns a TCP port that was free on 127.0.0.1 a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Unix accounts that Dovecot runs as. As root, its internal and login processes run as the
 * dovecot and dovenull accounts that Debian's package creates, and mail access as nobody, so
 * nothing in the test runs with root's rights. As another user, everything runs as that user.
 */
interface DovecotAccounts {
  internal: string;
  login: string;
  mailUid: number;
  mailGid: number;
}

function dovecotAccounts(): DovecotAccounts {
  const current = userInfo();
  if (current.uid !== 0) {
    const name = current.username;
    return { internal: name, login: name, mailUid: current.uid, mailGid: current.gid };
  }
  return { internal: 'dovecot', login: 'dovenull', mailUid: 65534, mailGid: 65534 };
}

// Dovecot 2.3's default capabilities after login, without IDLE.
const CAPABILITIES_WITHOUT_IDLE =
  'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE SORT SORT=DISPLAY THREAD=REFERENCES ' +
  'THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN ' +
  'NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES ' +
  'WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY LITERAL+ ' +
  'NOTIFY SPECIAL-USE';

function configuration(folder: string, port: number, withoutIdle = false): string {
  const { internal, login, mailUid, mailGid } = dovecotAccounts();
  const capabilities = withoutIdle ? `imap_capability = ${CAPABILITIES_WITHOUT_IDLE}\n` : '';
  return `${capabilities}protocols = imap
listen = 127.0.0.1
base_dir = ${folder}/run
state_dir = ${folder}/state
log_path = ${folder}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = ${internal}
default_login_user = ${login}
first_valid_uid = 1
mail_location = maildir:${folder}/mail/%u
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${folder}/users
}
userdb {
  driver = passwd-file
  args = username_format=%u ${folder}/users
  default_fields = uid=${mailUid} gid=${mailGid} home=${folder}/mail/%u
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
`;
}

async function waitForPort(port: number, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    const connected = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (connected) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const log = await readFile(logFile, 'utf8').catch(() => '(no log)');
  child.kill('SIGKILL');
  throw new Error(
    `Dovecot did not listen on 127.0.0.1:${port} within ${START_TIMEOUT_MS} ms. Its log:\n${log}`,
  );
}

/**
 * Starts Dovecot in the foreground with a configuration of its own in a temporary folder:
 * IMAP without TLS on 127.0.0.1, one user with a plain password in a passwd-file, and maildir
 * storage. Written for Dovecot 2.3, whose setting for cleartext passwords is
 * disable_plaintext_auth (2.4 renamed it auth_allow_cleartext).
 */
export async function startDovecot(options: DovecotOptions = {}): Promise<TestDovecot> {
  const folder = options.folder ?? (await mkdtemp(path.join(tmpdir(), 'guichet-dovecot-')));
  const port = options.port ?? (await freePort());
  // Dovecot's unprivileged processes must be able to enter the folder.
  await chmod(folder, 0o755);
  const { mailUid, mailGid } = dovecotAccounts();
  await mkdir(path.join(folder, 'mail'), { recursive: true });
  await chown(path.join(folder, 'mail'), mailUid, mailGid);
  await writeFile(path.join(folder, 'users'), `${USER}:{PLAIN}${PASSWORD}::::::\n`);
  const configFile = path.join(folder, 'dovecot.conf');
  await writeFile(configFile, configuration(folder, port, options.withoutIdle));

  const child = spawn(DOVECOT_PATH, ['-F', '-c', configFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitForPort(port, child, path.join(folder, 'dovecot.log'));
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${stderr}`);
  }

  return {
    host: '127.0.0.1',
    port,
    user: USER,
    password: PASSWORD,
    folder,
    async stop(stopOptions = {}) {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      if (!stopOptions.keepFolder) await rm(folder, { recursive: true, force: true });
    },
  };
}
