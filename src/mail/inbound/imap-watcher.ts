import { ImapFlow } from 'imapflow';
import type { Config } from '../../config.ts';
import { processInboundMessage, storeInboundMessage, type InboundDeps } from './ingest.ts';

export interface ImapWatcherOptions {
  host: string;
  port: number;
  /** true for implicit TLS (port 993); false uses STARTTLS when the server offers it. */
  secure: boolean;
  user: string;
  password: string;
  /** Mailbox to read, usually INBOX. */
  mailbox: string;
  /**
   * Mailbox that each message is moved to once stored. Without it, stored messages are marked
   * \Seen and only unseen messages are fetched.
   */
  processedMailbox?: string;
  /** Seconds between checks when the server lacks IDLE, and after a failed check. */
  pollSeconds: number;
  /** First delay before reconnecting, in milliseconds, doubled at each failure up to 5 minutes. */
  reconnectBaseMs?: number;
}

const DEFAULT_RECONNECT_BASE_MS = 2000;
const MAX_RECONNECT_MS = 5 * 60 * 1000;
/** RFC 2177 advises clients to re-issue IDLE at least every 29 minutes, so this stays below. */
const MAX_IDLE_MS = 10 * 60 * 1000;

/** Returns the watcher options of the configuration, or null when IMAP_HOST is unset. */
export function imapWatcherOptionsFrom(config: Config): ImapWatcherOptions | null {
  if (!config.IMAP_HOST) return null;
  return {
    host: config.IMAP_HOST,
    port: config.IMAP_PORT,
    secure: config.IMAP_SECURE,
    user: config.IMAP_USER!,
    password: config.IMAP_PASSWORD!,
    mailbox: config.IMAP_MAILBOX,
    processedMailbox: config.IMAP_PROCESSED_MAILBOX,
    pollSeconds: config.IMAP_POLL_SECONDS,
  };
}

/** Delay before reconnection attempt number `failures` (from 1): base × 2^(failures − 1). */
export function reconnectDelayMs(failures: number, baseMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, failures - 1), MAX_RECONNECT_MS);
}

/**
 * Reads a mailbox over IMAP and stores each message with storeInboundMessage, then moves it to
 * the processed mailbox or marks it \Seen. A crash between the two steps means the message is
 * fetched again at the next check, and the store recognises it as a duplicate. New messages
 * are noticed through IDLE when the server supports it, and by polling otherwise. After a
 * disconnection the watcher reconnects with an exponential back-off.
 */
export class ImapWatcher {
  private client?: ImapFlow;
  private loop?: Promise<void>;
  private stopped = true;
  private sleepTimer?: NodeJS.Timeout;
  private wakeSleeper?: () => void;
  private checking?: Promise<void>;
  private checkRequested = false;
  private pollTimer?: NodeJS.Timeout;
  private readonly processing = new Set<Promise<void>>();
  private readonly reconnectBaseMs: number;

  constructor(
    private readonly deps: InboundDeps,
    private readonly options: ImapWatcherOptions,
  ) {
    this.reconnectBaseMs = options.reconnectBaseMs ?? DEFAULT_RECONNECT_BASE_MS;
  }

  /** Starts watching in the background; connection errors are logged and retried. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.run();
  }

  /** Logs out, then waits for the check and the processing in progress. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.sleepTimer);
    clearInterval(this.pollTimer);
    this.wakeSleeper?.();
    await this.checking;
    const client = this.client;
    if (client) {
      await client.logout().catch(() => undefined);
      // close() ends the socket even when logout() failed or the connection is still opening.
      client.close();
    }
    await this.loop;
    await Promise.all(this.processing);
    this.deps.logger.info({ host: this.options.host }, 'IMAP watcher stopped');
  }

  private async run(): Promise<void> {
    const { logger } = this.deps;
    let failures = 0;
    while (!this.stopped) {
      let connected = false;
      try {
        await this.watch(() => {
          connected = true;
          failures = 0;
        });
      } catch (error) {
        if (this.stopped) break;
        logger.warn({ err: error, host: this.options.host }, 'IMAP connection failed');
      }
      if (this.stopped) break;
      if (!connected) failures++;
      const delay = reconnectDelayMs(Math.max(failures, 1), this.reconnectBaseMs);
      logger.info({ host: this.options.host, retryInMs: delay }, 'IMAP reconnecting');
      await this.sleep(delay);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wakeSleeper = resolve;
      this.sleepTimer = setTimeout(resolve, ms);
    });
  }

  /** Connects, checks the mailbox, then waits for new messages until the connection closes. */
  private async watch(onConnected: () => void): Promise<void> {
    const { logger } = this.deps;
    const { host, port, secure, user, password, mailbox, processedMailbox } = this.options;
    const client = new ImapFlow({
      host,
      port,
      secure,
      auth: { user, pass: password },
      logger: false,
      disableAutoIdle: true,
      maxIdleTime: MAX_IDLE_MS,
    });
    this.client = client;
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.on('error', (error: Error) => {
      logger.warn({ err: error, host }, 'IMAP connection error');
    });
    client.on('exists', () => this.requestCheck());

    try {
      await client.connect();
      if (processedMailbox) await this.ensureMailbox(client, processedMailbox);
      await client.mailboxOpen(mailbox);
      onConnected();
      const idle = client.capabilities.has('IDLE');
      logger.info({ host, port, mailbox, idle }, 'IMAP watcher connected');
      if (!idle) {
        this.pollTimer = setInterval(() => this.requestCheck(), this.options.pollSeconds * 1000);
      }
      this.requestCheck();
      await closed;
      if (!this.stopped) logger.warn({ host, port }, 'IMAP connection closed');
    } finally {
      clearInterval(this.pollTimer);
      this.pollTimer = undefined;
      this.client = undefined;
      client.close();
    }
  }

  private async ensureMailbox(client: ImapFlow, path: string): Promise<void> {
    const existing = await client.list();
    if (existing.some((mailbox) => mailbox.path === path)) return;
    await client.mailboxCreate(path);
    this.deps.logger.info({ mailbox: path }, 'IMAP mailbox created for processed messages');
  }

  /** Runs a check soon; checks never overlap, and a request during one runs another after. */
  private requestCheck(): void {
    const client = this.client;
    if (this.stopped || !client) return;
    if (this.checking) {
      this.checkRequested = true;
      return;
    }
    this.checking = this.check(client)
      .catch((error: unknown) => {
        this.deps.logger.error({ err: error, host: this.options.host }, 'IMAP check failed');
        // Without this retry an IDLE connection would wait for the next new message.
        setTimeout(() => this.requestCheck(), this.options.pollSeconds * 1000).unref();
      })
      .finally(() => {
        this.checking = undefined;
        if (this.checkRequested) {
          this.checkRequested = false;
          this.requestCheck();
        } else {
          this.idle(client);
        }
      });
  }

  private idle(client: ImapFlow): void {
    if (this.stopped || !client.usable || !client.capabilities.has('IDLE')) return;
    client.idle().catch((error: unknown) => {
      this.deps.logger.warn({ err: error, host: this.options.host }, 'IMAP IDLE failed');
    });
  }

  /** Stores every waiting message, oldest first, then moves or flags it. */
  private async check(client: ImapFlow): Promise<void> {
    const { processedMailbox } = this.options;
    const query = processedMailbox ? { all: true } : { seen: false };
    const uids = (await client.search(query, { uid: true })) || [];
    for (const uid of uids.sort((a, b) => a - b)) {
      if (this.stopped) return;
      await this.take(client, uid);
    }
  }

  private async take(client: ImapFlow, uid: number): Promise<void> {
    const { logger } = this.deps;
    const { processedMailbox, mailbox } = this.options;
    // imapflow fetches the source with BODY.PEEK[], which leaves \Seen unset until it is stored.
    const message = await client.fetchOne(String(uid), { source: true }, { uid: true });
    if (!message || !message.source) return;

    const { id, duplicate } = await storeInboundMessage(this.deps, message.source, 'imap');
    if (processedMailbox) {
      await client.messageMove(String(uid), processedMailbox, { uid: true });
    } else {
      await client.messageFlagsAdd(String(uid), ['\\Seen'], { uid: true });
    }
    const log = { inboundId: id, duplicate, mailbox, uid, bytes: message.source.length };
    logger.info(log, 'Inbound IMAP message stored');
    if (!duplicate) this.processLater(id);
  }

  private processLater(id: number): void {
    const task = processInboundMessage(this.deps, id)
      .catch((error: unknown) => {
        const log = { err: error, inboundId: id };
        this.deps.logger.error(log, 'Processing of inbound message failed');
      })
      .finally(() => this.processing.delete(task));
    this.processing.add(task);
  }
}
