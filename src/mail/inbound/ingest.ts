import { createHash } from 'node:crypto';
import type { Config } from '../../config.ts';
import type { Database, InboundMatch, InboundStatus, Prisma, User } from '../../db/client.ts';
import { AppError, NotFoundError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import { reopenTicket, replyAsRequester, replyAsStaff } from '../../tickets/actions.ts';
import { DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH } from '../../tickets/forms.ts';
import { isStaff } from '../../tickets/policy.ts';
import { parseReference } from '../../tickets/reference.ts';
import { createTicket } from '../../tickets/service.ts';
import { verifyReplyAddress } from '../reply-address.ts';
import { detectContentType, safeFileName } from './content-type.ts';
import {
  automaticReason,
  messageKeyOf,
  readEmail,
  UnreadableEmailError,
  type InboundEmail,
} from './read.ts';
import { stripQuotes } from './strip-quotes.ts';
import { translator } from '../../i18n/index.ts';

export type InboundSource = 'imap' | 'smtp' | 'pipe';
export interface InboundDeps {
  db: Database;
  config: Config;
  logger: Logger;
}

type Transaction = Prisma.TransactionClient;

/** Attempts after which a message that keeps failing for an unexpected reason is quarantined. */
const MAX_ATTEMPTS = 5;

/** Reply prefixes that mail clients put before a subject, in the languages seen in practice. */
const SUBJECT_PREFIX =
  /^\s*(?:(?:re|fw|fwd|tr|aw|wg|sv|vs|antw|r[ée]f|r[ée]p)\s*(?:\[\d+\])?\s*\.?\s*:\s*)+/i;
const SUBJECT_REFERENCE = /\b(INC|REQ)-(\d{1,9})\b/i;

/** The result of processing, written to the message's row. */
interface Outcome {
  status: InboundStatus;
  reason?: string | null;
  matchedBy?: InboundMatch | null;
  sender?: string | null;
  subject?: string | null;
  ticketId?: number | null;
  eventId?: number | null;
}

/** Ends processing with a status other than PROCESSED; thrown so the transaction rolls back. */
class Rejection extends Error {
  constructor(readonly outcome: Outcome & { reason: string }) {
    super(outcome.reason);
  }
}

/** Stores the raw message (idempotent by Message-ID, or SHA-256 of the bytes when it has none)
 *  and returns at once; processing happens after. */
export async function storeInboundMessage(
  deps: InboundDeps,
  raw: Buffer,
  source: InboundSource,
): Promise<{ id: number; duplicate: boolean }> {
  const key = messageKeyOf(raw);
  const inserted = await deps.db.$queryRaw<{ id: number }[]>`
    INSERT INTO inbound_messages (message_key, raw, source)
    VALUES (${key}, ${raw}, ${source}::"InboundSource")
    ON CONFLICT (message_key) DO NOTHING
    RETURNING id`;
  if (inserted.length > 0) return { id: inserted[0].id, duplicate: false };
  const existing = await deps.db.inboundMessage.findUniqueOrThrow({
    where: { messageKey: key },
    select: { id: true },
  });
  deps.logger.info({ inboundId: existing.id, source }, 'Duplicate incoming email ignored');
  return { id: existing.id, duplicate: true };
}

/**
 * Claims one message still RECEIVED (the given one, or the first after `afterId`) and
 * processes it in the same transaction, so the ticket change and the new status commit
 * together. Returns the id claimed, or null when there was none to claim.
 */
async function claimAndProcess(
  deps: InboundDeps,
  target: { id: number } | { afterId: number },
): Promise<number | null> {
  let claimed: number | null = null;
  try {
    await deps.db.$transaction(
      async (tx) => {
        const rows =
          'id' in target
            ? await tx.$queryRaw<{ id: number }[]>`
                SELECT id FROM inbound_messages
                 WHERE id = ${target.id} AND status = 'RECEIVED'
                   FOR UPDATE SKIP LOCKED`
            : await tx.$queryRaw<{ id: number }[]>`
                SELECT id FROM inbound_messages
                 WHERE id > ${target.afterId} AND status = 'RECEIVED'
                 ORDER BY id LIMIT 1
                   FOR UPDATE SKIP LOCKED`;
        if (rows.length === 0) return;
        claimed = rows[0].id;
        const message = await tx.inboundMessage.findUniqueOrThrow({ where: { id: claimed } });
        const outcome = await handle(tx, deps, message);
        await tx.inboundMessage.update({
          where: { id: claimed },
          data: { ...outcome, processedAt: new Date(), attempts: { increment: 1 } },
        });
      },
      { maxWait: 10_000, timeout: 60_000 },
    );
  } catch (error) {
    if (claimed === null) throw error;
    await recordFailure(deps, claimed, error);
  }
  if (claimed !== null) deps.logger.debug({ inboundId: claimed }, 'Incoming email processed');
  return claimed;
}

/**
 * Records a failure after the processing transaction rolled back. A rejection or a workflow
 * error quarantines or ignores the message. Any other error leaves it RECEIVED for a later pass,
 * until MAX_ATTEMPTS. Throws when the database cannot be reached.
 */
async function recordFailure(deps: InboundDeps, id: number, error: unknown): Promise<void> {
  const where = { id, status: 'RECEIVED' as const };
  let outcome: Outcome | null = null;
  if (error instanceof Rejection) outcome = error.outcome;
  else if (error instanceof UnreadableEmailError || error instanceof AppError) {
    outcome = { status: 'QUARANTINED', reason: error.message };
  }
  if (outcome) {
    await deps.db.inboundMessage.updateMany({
      where,
      data: { ...outcome, processedAt: new Date(), attempts: { increment: 1 } },
    });
    deps.logger.info(
      { inboundId: id, status: outcome.status, reason: outcome.reason },
      'Incoming email not applied',
    );
    return;
  }
  deps.logger.error({ err: error, inboundId: id }, 'Incoming email processing failed');
  const row = await deps.db.inboundMessage.update({
    where: { id },
    data: { attempts: { increment: 1 } },
  });
  if (row.attempts >= MAX_ATTEMPTS) {
    await deps.db.inboundMessage.updateMany({
      where,
      data: {
        status: 'QUARANTINED',
        reason: `processing failed ${row.attempts} times: ${(error as Error).message}`.slice(
          0,
          1000,
        ),
        processedAt: new Date(),
      },
    });
  }
}

/** Processes one stored message: parse, match, apply or quarantine. Safe to call twice. */
export async function processInboundMessage(deps: InboundDeps, id: number): Promise<void> {
  await claimAndProcess(deps, { id });
}

/** Processes every stored message not yet processed (used at start-up and by a periodic pass),
 *  claiming rows with FOR UPDATE SKIP LOCKED so several instances do not process one twice. */
export async function processPendingInbound(deps: InboundDeps): Promise<number> {
  let afterId = 0;
  let count = 0;
  for (;;) {
    const id = await claimAndProcess(deps, { afterId });
    if (id === null) return count;
    afterId = id;
    count++;
  }
}

/** Returns the subject without the reply and forward prefixes that mail clients add. */
export function cleanSubject(subject: string): string {
  return subject.replace(SUBJECT_PREFIX, '').trim();
}

function mailFromAddress(config: Config): string {
  return (/<?([^<>\s]+@[^<>\s]+)>?\s*$/.exec(config.MAIL_FROM)?.[1] ?? '').toLowerCase();
}

interface Match {
  ticketId: number;
  matchedBy: InboundMatch;
}

/** Finds the ticket an email replies to: reply address, then thread headers, then subject. */
async function findTicket(
  tx: Transaction,
  config: Config,
  email: InboundEmail,
): Promise<Match | null> {
  for (const recipient of email.recipients) {
    const ticketId = verifyReplyAddress(recipient, config);
    if (ticketId !== null && (await tx.ticket.count({ where: { id: ticketId } })) === 1) {
      return { ticketId, matchedBy: 'REPLY_ADDRESS' };
    }
  }
  if (email.references.length > 0) {
    const sent = await tx.outboundEmail.findFirst({
      where: { messageId: { in: email.references }, ticketId: { not: null } },
      orderBy: { id: 'desc' },
    });
    if (sent?.ticketId) return { ticketId: sent.ticketId, matchedBy: 'HEADERS' };
    const ticket = await tx.ticket.findFirst({ where: { messageId: { in: email.references } } });
    if (ticket) return { ticketId: ticket.id, matchedBy: 'HEADERS' };
  }
  const match = SUBJECT_REFERENCE.exec(email.subject);
  const reference = match ? parseReference(`${match[1]}-${match[2]}`) : null;
  if (reference) {
    const ticket = await tx.ticket.findFirst({
      where: { type: reference.type, number: reference.number },
    });
    if (ticket) return { ticketId: ticket.id, matchedBy: 'SUBJECT' };
  }
  return null;
}

/** Category of tickets opened by email: INBOUND_CATEGORY_ID, or the first active incident one. */
async function defaultCategory(tx: Transaction, config: Config) {
  if (config.INBOUND_CATEGORY_ID) {
    const configured = await tx.category.findFirst({
      where: { id: config.INBOUND_CATEGORY_ID, active: true },
    });
    if (configured) return configured;
  }
  return tx.category.findFirst({
    where: { type: 'INCIDENT', active: true, parentId: null },
    orderBy: [{ position: 'asc' }, { id: 'asc' }],
  });
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Stores the attachments of an applied email; returns the names of the files left out. */
async function storeAttachments(
  tx: Transaction,
  config: Config,
  email: InboundEmail,
  ticketId: number,
  eventId: number,
): Promise<string[]> {
  const skipped: string[] = [];
  for (const attachment of email.attachments) {
    const fileName = safeFileName(attachment.fileName);
    if (attachment.content.length > config.INBOUND_MAX_ATTACHMENT_BYTES) {
      skipped.push(fileName);
      continue;
    }
    await tx.attachment.create({
      data: {
        ticketId,
        eventId,
        fileName,
        contentType: detectContentType(attachment.content, fileName),
        size: attachment.content.length,
        sha256: createHash('sha256').update(attachment.content).digest('hex'),
        content: new Uint8Array(attachment.content),
      },
    });
  }
  return skipped;
}

/** Opens a ticket from an email. `followUpOf` is the closed ticket that the email replied to. */
async function openTicket(
  tx: Transaction,
  config: Config,
  user: User,
  email: InboundEmail,
  body: string,
  followUpOf?: { id: number; type: 'INCIDENT' | 'REQUEST'; categoryId: number },
) {
  const previous = followUpOf
    ? await tx.category.findFirst({ where: { id: followUpOf.categoryId, active: true } })
    : null;
  const category = previous ?? (await defaultCategory(tx, config));
  if (!category) {
    throw new Rejection({ status: 'QUARANTINED', reason: 'no active category for a new ticket' });
  }
  const title =
    cleanSubject(email.subject).replace(/^\[(INC|REQ)-\d+\]\s*/i, '') ||
    translator(user.locale)('inbound.placeholders.noSubject');
  const ticket = await createTicket(tx, config, user, {
    type: category.type,
    categoryId: category.id,
    title: truncate(title, TITLE_MAX_LENGTH),
    description: truncate(body, DESCRIPTION_MAX_LENGTH),
  });
  if (followUpOf) {
    await tx.ticket.update({ where: { id: ticket.id }, data: { followUpOfId: followUpOf.id } });
  }
  const event = await tx.ticketEvent.findFirstOrThrow({
    where: { ticketId: ticket.id, kind: 'CREATED' },
  });
  return { ticketId: ticket.id, eventId: event.id };
}

/** Decides what a stored email does, applies it inside `tx` and returns the outcome to record. */
async function handle(
  tx: Transaction,
  deps: InboundDeps,
  message: { id: number; raw: Uint8Array },
): Promise<Outcome> {
  const { config } = deps;
  const email = await readEmail(Buffer.from(message.raw));
  const base = { sender: email.sender, subject: email.subject.slice(0, 500) };
  const reject = (status: 'IGNORED' | 'QUARANTINED', reason: string, extra: object = {}) => {
    return new Rejection({ ...base, ...extra, status, reason });
  };

  const ownDomain = email.messageId?.toLowerCase().endsWith(`@${config.mailDomain.toLowerCase()}>`);
  const ownMessage =
    email.sender === mailFromAddress(config) ||
    (ownDomain &&
      (await tx.outboundEmail.count({ where: { messageId: email.messageId! } })) +
        (await tx.ticket.count({ where: { messageId: email.messageId! } })) >
        0);
  if (ownMessage) throw reject('IGNORED', 'sent by Guichet itself');
  const automatic = automaticReason(email);
  if (automatic) throw reject('IGNORED', automatic);

  const recent = await tx.inboundMessage.count({
    where: {
      sender: email.sender,
      id: { lt: message.id },
      receivedAt: { gt: new Date(Date.now() - 3600 * 1000) },
    },
  });
  if (recent >= config.INBOUND_MAX_PER_HOUR) throw reject('IGNORED', 'throttled');

  let user = await tx.user.findUnique({ where: { email: email.sender } });
  if (user && !user.active) user = null;
  const match = await findTicket(tx, config, email);
  const text = stripQuotes(email.text);

  if (match) {
    const ticket = await tx.ticket.findUniqueOrThrow({ where: { id: match.ticketId } });
    const matched = { matchedBy: match.matchedBy, ticketId: ticket.id };
    const isRequester = user?.id === ticket.requesterId;
    if (!user || (!isRequester && !isStaff(user))) {
      throw reject('QUARANTINED', 'sender is not a participant', matched);
    }
    const empty = translator(user.locale)('inbound.placeholders.emptyMessage');
    const body = truncate(text || empty, DESCRIPTION_MAX_LENGTH);
    let applied: { ticketId: number; eventId: number };
    if (isRequester && ticket.status === 'CLOSED') {
      applied = await openTicket(tx, config, user, email, body, ticket);
    } else {
      const input = { ticketId: ticket.id, body };
      const event = !isRequester
        ? await replyAsStaff(tx, config, user, input)
        : ticket.status === 'RESOLVED'
          ? await reopenTicket(tx, config, user, input)
          : await replyAsRequester(tx, config, user, input);
      applied = { ticketId: ticket.id, eventId: event.id };
    }
    const skipped = await storeAttachments(tx, config, email, applied.ticketId, applied.eventId);
    const reason = skippedReason(config, skipped);
    return { ...base, ...matched, ...applied, status: 'PROCESSED', reason };
  }

  if (!user) {
    if (!config.INBOUND_ALLOW_UNKNOWN_SENDERS) throw reject('IGNORED', 'unknown sender');
    const existing = await tx.user.findUnique({ where: { email: email.sender } });
    if (existing) throw reject('QUARANTINED', 'sender account is deactivated');
    user = await tx.user.create({
      data: {
        email: email.sender,
        name: (email.senderName || email.sender.split('@')[0]).slice(0, 100),
        role: 'REQUESTER',
        locale: config.DEFAULT_LOCALE,
      },
    });
  }
  const empty = translator(user.locale)('inbound.placeholders.emptyMessage');
  const applied = await openTicket(tx, config, user, email, text || empty);
  const skipped = await storeAttachments(tx, config, email, applied.ticketId, applied.eventId);
  return {
    ...base,
    ...applied,
    matchedBy: 'NEW_TICKET',
    status: 'PROCESSED',
    reason: skippedReason(config, skipped),
  };
}

function skippedReason(config: Config, skipped: string[]): string | null {
  if (skipped.length === 0) return null;
  const limit = config.INBOUND_MAX_ATTACHMENT_BYTES;
  return `attachments over ${limit} bytes left out: ${skipped.join(', ')}`;
}

/** Puts a quarantined or ignored message back to RECEIVED and processes it again. */
export async function retryInboundMessage(deps: InboundDeps, id: number): Promise<void> {
  const { count } = await deps.db.inboundMessage.updateMany({
    where: { id, status: { in: ['QUARANTINED', 'IGNORED'] } },
    data: { status: 'RECEIVED', reason: null, processedAt: null, attempts: 0 },
  });
  if (count !== 1) throw new NotFoundError(`Inbound message ${id} to retry`);
  await processInboundMessage(deps, id);
}

/** Marks a quarantined or ignored message as discarded by an admin; its raw bytes are kept. */
export async function discardInboundMessage(db: Database, id: number): Promise<void> {
  const { count } = await db.inboundMessage.updateMany({
    where: { id, status: { in: ['QUARANTINED', 'IGNORED'] } },
    data: { status: 'DISCARDED' },
  });
  if (count !== 1) throw new NotFoundError(`Inbound message ${id} to discard`);
}

/**
 * Processes stored messages now and then every `intervalMs`, so a message stored before a crash
 * or whose processing failed is handled later. The timer does not keep the process alive.
 * Returns a function that stops it.
 */
export function scheduleInboundProcessing(deps: InboundDeps, intervalMs: number): () => void {
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      const count = await processPendingInbound(deps);
      if (count > 0) deps.logger.info({ count }, 'Stored incoming emails processed');
    } catch (error) {
      deps.logger.error({ err: error }, 'Processing of stored incoming emails failed');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void run(), intervalMs);
  timer.unref();
  void run();
  return () => clearInterval(timer);
}
