import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import { loadConfig } from '../../../src/config.ts';
import {
  ImapWatcher,
  imapWatcherOptionsFrom,
  reconnectDelayMs,
  type ImapWatcherOptions,
} from '../../../src/mail/inbound/imap-watcher.ts';
import { createTestContext, type TestContext } from '../../support/context.ts';
import { dovecotSkipReason, startDovecot, type TestDovecot } from '../../support/dovecot.ts';

let context: TestContext;
let dovecot: TestDovecot;
let sequence = 0;

/** Builds a plain message with a unique Message-ID, with the CRLF line ends of IMAP APPEND. */
function message(subject: string): { messageId: string; raw: string } {
  sequence++;
  const messageId = `<imap-${sequence}-${Date.now()}@example.org>`;
  const raw = [
    'From: Alice <alice@example.org>',
    'To: helpdesk@guichet.test',
    `Subject: ${subject}`,
    `Message-ID: ${messageId}`,
    'Date: Thu, 04 Dec 2026 10:00:00 +0100',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Bonjour, mon imprimante ne fonctionne plus.',
    '',
  ].join('\r\n');
  return { messageId, raw };
}

/** Connects a client of the test's own, to put messages in mailboxes and read their flags. */
async function mailboxClient(): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: dovecot.host,
    port: dovecot.port,
    secure: false,
    auth: { user: dovecot.user, pass: dovecot.password },
    logger: false,
  });
  await client.connect();
  return client;
}

async function append(mailbox: string, raw: string, flags: string[] = []): Promise<void> {
  const client = await mailboxClient();
  try {
    await client.append(mailbox, raw, flags);
  } finally {
    await client.logout();
  }
}

/** Returns the flags of each message in `mailbox`, keyed by Message-ID. */
async function mailboxState(mailbox: string): Promise<Map<string, Set<string>>> {
  const client = await mailboxClient();
  const state = new Map<string, Set<string>>();
  try {
    const lock = await client.getMailboxLock(mailbox);
    try {
      if (client.mailbox && client.mailbox.exists > 0) {
        for await (const fetched of client.fetch('1:*', { envelope: true, flags: true })) {
          state.set(fetched.envelope?.messageId ?? '', fetched.flags ?? new Set());
        }
      }
    } finally {
      lock.release();
    }
  } finally {
    await client.logout();
  }
  return state;
}

async function clearMailbox(mailbox: string): Promise<void> {
  const client = await mailboxClient();
  try {
    const exists = (await client.list()).some((entry) => entry.path === mailbox);
    if (!exists) return;
    const lock = await client.getMailboxLock(mailbox);
    try {
      if (client.mailbox && client.mailbox.exists > 0) await client.messageDelete('1:*');
    } finally {
      lock.release();
    }
  } finally {
    await client.logout();
  }
}

async function waitFor<T>(
  description: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${description}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function watcherOptions(overrides: Partial<ImapWatcherOptions> = {}): ImapWatcherOptions {
  return {
    host: dovecot.host,
    port: dovecot.port,
    secure: false,
    user: dovecot.user,
    password: dovecot.password,
    mailbox: 'INBOX',
    // An hour, so that a message seen within the tests' timeouts came through IDLE.
    pollSeconds: 3600,
    reconnectBaseMs: 100,
    ...overrides,
  };
}

function storedKeys(): Promise<string[]> {
  return context.db.inboundMessage
    .findMany({ select: { messageKey: true }, orderBy: { id: 'asc' } })
    .then((rows) => rows.map((row) => row.messageKey));
}

describe('IMAP watcher with Dovecot', { skip: dovecotSkipReason }, () => {
  before(async () => {
    context = await createTestContext();
    dovecot = await startDovecot();
  });
  after(async () => {
    await dovecot?.stop();
    await context?.close();
  });
  beforeEach(async () => {
    await clearMailbox('INBOX');
    await clearMailbox('Processed');
    await context.db.inboundMessage.deleteMany();
  });

  it('stores unseen messages and marks them seen', async () => {
    const first = message('Imprimante');
    const second = message('Écran');
    const alreadyRead = message('Déjà lu');
    await append('INBOX', first.raw);
    await append('INBOX', second.raw);
    await append('INBOX', alreadyRead.raw, ['\\Seen']);

    const watcher = new ImapWatcher(context, watcherOptions());
    watcher.start();
    try {
      const keys = await waitFor('two stored messages', storedKeys, (list) => list.length >= 2);
      assert.deepEqual(keys, [first.messageId, second.messageId]);
      const state = await waitFor(
        'both messages flagged \\Seen',
        () => mailboxState('INBOX'),
        (flags) => Boolean(flags.get(second.messageId)?.has('\\Seen')),
      );
      assert.ok(state.get(first.messageId)?.has('\\Seen'));
      assert.ok(state.get(second.messageId)?.has('\\Seen'));
      assert.equal(state.size, 3, 'messages stay in INBOX');
    } finally {
      await watcher.stop();
    }

    const row = await context.db.inboundMessage.findFirstOrThrow({
      where: { messageKey: first.messageId },
    });
    assert.equal(row.source, 'imap');
    assert.match(Buffer.from(row.raw).toString('utf8'), /mon imprimante ne fonctionne plus/);
    const processed = await waitFor(
      'the message to be processed',
      () => context.db.inboundMessage.findUniqueOrThrow({ where: { id: row.id } }),
      (found) => found.status !== 'RECEIVED',
    );
    assert.ok(processed.processedAt, 'processing started after storing');
  });

  it('moves stored messages to the processed mailbox', async () => {
    const waiting = message('Clavier');
    await append('INBOX', waiting.raw);

    const watcher = new ImapWatcher(context, watcherOptions({ processedMailbox: 'Processed' }));
    watcher.start();
    try {
      await waitFor('the stored message', storedKeys, (list) => list.length === 1);
      const processed = await waitFor(
        'the message in Processed',
        () => mailboxState('Processed'),
        (state) => state.size === 1,
      );
      assert.ok(processed.has(waiting.messageId));
      assert.equal((await mailboxState('INBOX')).size, 0);
    } finally {
      await watcher.stop();
    }
  });

  it('receives a message appended while idle', async () => {
    const watcher = new ImapWatcher(context, watcherOptions());
    watcher.start();
    try {
      // The first check of an empty mailbox ends in IDLE.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const started = Date.now();
      const late = message('Arrivé pendant IDLE');
      await append('INBOX', late.raw);

      const keys = await waitFor('the message appended during IDLE', storedKeys, (list) => {
        return list.length === 1;
      });
      assert.deepEqual(keys, [late.messageId]);
      assert.ok(Date.now() - started < 5000, 'stored long before the hour-long poll interval');
    } finally {
      await watcher.stop();
    }
  });

  it('fetches again without duplicating a stored message', async () => {
    const crashed = message('Stocké puis interrompu');
    await append('INBOX', crashed.raw);
    // The message is already stored but still unseen, as after a crash between the two steps.
    await context.db.$executeRaw`
      INSERT INTO inbound_messages (message_key, raw, source)
      VALUES (${crashed.messageId}, ${Buffer.from(crashed.raw)}, 'imap')`;

    const watcher = new ImapWatcher(context, watcherOptions());
    watcher.start();
    try {
      await waitFor(
        'the duplicate flagged \\Seen',
        () => mailboxState('INBOX'),
        (state) => Boolean(state.get(crashed.messageId)?.has('\\Seen')),
      );
      assert.equal(await context.db.inboundMessage.count(), 1);
    } finally {
      await watcher.stop();
    }
  });

  it('reconnects after the server restarts', async () => {
    const watcher = new ImapWatcher(context, watcherOptions());
    watcher.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const { port, folder } = dovecot;
      await dovecot.stop({ keepFolder: true });
      dovecot = await startDovecot({ port, folder });

      const afterRestart = message('Après redémarrage');
      await append('INBOX', afterRestart.raw);
      const keys = await waitFor(
        'the message sent after the restart',
        storedKeys,
        (list) => list.length === 1,
        10_000,
      );
      assert.deepEqual(keys, [afterRestart.messageId]);
    } finally {
      await watcher.stop();
    }
  });
});

describe('IMAP watcher configuration', () => {
  const base = { MAIL_FROM: 'Guichet <helpdesk@guichet.test>' };

  it('is off without IMAP_HOST', () => {
    assert.equal(imapWatcherOptionsFrom(loadConfig(base)), null);
  });

  it('defaults to TLS on 993 and INBOX', () => {
    const config = loadConfig({
      ...base,
      IMAP_HOST: 'imap.example.org',
      IMAP_USER: 'helpdesk',
      IMAP_PASSWORD: 'secret',
    });
    assert.deepEqual(imapWatcherOptionsFrom(config), {
      host: 'imap.example.org',
      port: 993,
      secure: true,
      user: 'helpdesk',
      password: 'secret',
      mailbox: 'INBOX',
      processedMailbox: undefined,
      pollSeconds: 60,
    });
  });

  it('requires credentials with IMAP_HOST', () => {
    assert.throws(
      () => loadConfig({ ...base, IMAP_HOST: 'imap.example.org' }),
      /IMAP_USER, IMAP_PASSWORD: required when IMAP_HOST is set/,
    );
  });

  it('rejects a processed mailbox equal to the read one', () => {
    const env = {
      ...base,
      IMAP_HOST: 'imap.example.org',
      IMAP_USER: 'helpdesk',
      IMAP_PASSWORD: 'secret',
      IMAP_PROCESSED_MAILBOX: 'INBOX',
    };
    assert.throws(() => loadConfig(env), /IMAP_PROCESSED_MAILBOX: must differ/);
  });

  it('doubles the reconnection delay up to 5 minutes', () => {
    assert.equal(reconnectDelayMs(1, 2000), 2000);
    assert.equal(reconnectDelayMs(2, 2000), 4000);
    assert.equal(reconnectDelayMs(4, 2000), 16_000);
    assert.equal(reconnectDelayMs(20, 2000), 300_000);
  });
});

describe('IMAP watcher without IDLE', { skip: dovecotSkipReason }, () => {
  let withIdle: TestDovecot;

  before(async () => {
    context = await createTestContext();
    withIdle = dovecot;
    dovecot = await startDovecot({ withoutIdle: true });
  });
  after(async () => {
    await dovecot?.stop();
    dovecot = withIdle;
    await context?.close();
  });

  it('polls a server that lacks IDLE', async () => {
    const client = await mailboxClient();
    const capabilities = new Set(client.capabilities.keys());
    await client.logout();
    assert.equal(capabilities.has('IDLE'), false, 'the server announces no IDLE');

    const watcher = new ImapWatcher(context, watcherOptions({ pollSeconds: 1 }));
    watcher.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const late = message('Arrivé entre deux relèves');
      await append('INBOX', late.raw);
      const keys = await waitFor('the message found by a poll', storedKeys, (list) => {
        return list.length === 1;
      });
      assert.deepEqual(keys, [late.messageId]);
    } finally {
      await watcher.stop();
    }
  });
});
