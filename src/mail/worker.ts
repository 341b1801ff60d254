import pg from 'pg';
import type { Config } from '../config.ts';
import type { Database, OutboundEmail, Prisma } from '../db/client.ts';
import type { Logger } from '../logger.ts';
import { emailModules } from './emails/index.ts';
import { renderEmail } from './render.ts';
import type { MailTransport } from './transport.ts';

/** How long a claimed email stays reserved for one worker before another may take it. */
const LEASE_SECONDS = 300;
const BATCH_SIZE = 20;
const MAX_RETRY_DELAY_SECONDS = 6 * 3600;

interface WorkerOptions {
  db: Database;
  config: Config;
  logger: Logger;
  transport: MailTransport;
  /** Connection string for LISTEN; without it the worker only polls. */
  listenUrl?: string;
}

/** Delay before the next attempt: base × 2^(attempts − 1), capped at 6 hours. */
export function retryDelaySeconds(attempts: number, baseSeconds: number): number {
  return Math.min(baseSeconds * 2 ** Math.max(0, attempts - 1), MAX_RETRY_DELAY_SECONDS);
}

/**
 * Sends the outbox. Rows are claimed with FOR UPDATE SKIP LOCKED and a lease, so several
 * workers (in one or many processes) never send the same email twice while it is being sent.
 * An email whose worker dies after sending but before recording it is sent again once the
 * lease expires: delivery is at least once.
 */
export class OutboxWorker {
  private timer?: NodeJS.Timeout;
  private listener?: pg.Client;
  private running?: Promise<void>;
  private wakeRequested = false;
  private stopped = true;

  constructor(private readonly options: WorkerOptions) {}

  async start(): Promise<void> {
    this.stopped = false;
    const { config, listenUrl, logger } = this.options;
    if (listenUrl) {
      try {
        this.listener = new pg.Client({ connectionString: listenUrl });
        this.listener.on('notification', () => this.wake());
        this.listener.on('error', (error) => {
          logger.warn({ err: error }, 'Outbox LISTEN connection failed; polling continues');
        });
        await this.listener.connect();
        await this.listener.query('LISTEN guichet_outbox');
      } catch (error) {
        logger.warn({ err: error }, 'Outbox LISTEN unavailable; polling only');
        this.listener = undefined;
      }
    }
    this.timer = setInterval(() => this.wake(), config.OUTBOX_POLL_SECONDS * 1000);
    this.timer.unref();
    this.wake();
    logger.info({ pollSeconds: config.OUTBOX_POLL_SECONDS }, 'Outbox worker started');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.listener?.end().catch(() => undefined);
    await this.running;
    this.options.logger.info('Outbox worker stopped');
  }

  /** Runs a pass soon; passes never overlap within one worker. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.wakeRequested = true;
      return;
    }
    this.running = this.drain()
      .then(() => undefined)
      .catch((error) => this.options.logger.error({ err: error }, 'Outbox pass failed'))
      .finally(() => {
        this.running = undefined;
        if (this.wakeRequested && !this.stopped) {
          this.wakeRequested = false;
          this.wake();
        }
      });
  }

  /** Processes batches until no email is due, and returns how many were attempted. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const attempted = await this.runOnce();
      total += attempted;
      if (attempted < BATCH_SIZE || this.stopped) return total;
    }
  }

  /** Claims one batch of due emails and tries to send each; returns how many were claimed. */
  async runOnce(): Promise<number> {
    const { db } = this.options;
    const claimed = await db.$queryRaw<OutboundEmail[]>`
      UPDATE outbound_emails
         SET locked_until = now() + make_interval(secs => ${LEASE_SECONDS}),
             attempts = attempts + 1
       WHERE id IN (
             SELECT id FROM outbound_emails
              WHERE status = 'PENDING'
                AND next_attempt_at <= now()
                AND (locked_until IS NULL OR locked_until < now())
              ORDER BY next_attempt_at, id
              LIMIT ${BATCH_SIZE}
                FOR UPDATE SKIP LOCKED)
      RETURNING id`;
    for (const { id } of claimed) {
      await this.deliver(id);
    }
    return claimed.length;
  }

  private async deliver(id: number): Promise<void> {
    const { db, config, logger, transport } = this.options;
    const email = await db.outboundEmail.findUniqueOrThrow({ where: { id } });
    try {
      const message = await renderEmail(email, { db, config });
      await transport.send(message);
      await db.outboundEmail.update({
        where: { id },
        data: {
          status: 'SENT',
          sentAt: new Date(),
          lockedUntil: null,
          lastError: null,
          subject: String(message.subject),
          payload: scrubSecrets(email),
        },
      });
      logger.info({ emailId: id, kind: email.kind, attempt: email.attempts }, 'Email sent');
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const giveUp = email.attempts >= config.OUTBOX_MAX_ATTEMPTS;
      const delay = retryDelaySeconds(email.attempts, config.OUTBOX_RETRY_BASE_SECONDS);
      await db.outboundEmail.update({
        where: { id },
        data: {
          status: giveUp ? 'FAILED' : 'PENDING',
          lockedUntil: null,
          lastError: message.slice(0, 2000),
          nextAttemptAt: new Date(Date.now() + delay * 1000),
        },
      });
      const log = { emailId: id, kind: email.kind, attempt: email.attempts, err: error };
      if (giveUp) logger.error(log, 'Email failed; no more attempts');
      else logger.warn({ ...log, retryInSeconds: delay }, 'Email failed; will retry');
    }
  }
}

function scrubSecrets(email: OutboundEmail): Prisma.InputJsonObject {
  const keys = emailModules.get(email.kind)?.secretPayloadKeys ?? [];
  const payload = { ...(email.payload as Prisma.JsonObject) };
  for (const key of keys) {
    if (key in payload) payload[key] = null;
  }
  return payload as Prisma.InputJsonObject;
}
