import type { Locale, Prisma } from '../db/client.ts';
import { newMessageId } from './message-id.ts';

type Transaction = Prisma.TransactionClient;

export interface EnqueueEmail {
  kind: string;
  to: { id?: number; email: string; locale: Locale };
  /** Data the email module needs to render; ids rather than copies where possible. */
  payload: Prisma.InputJsonObject;
  ticket?: { id: number; messageId: string };
  /** Use the ticket's own Message-ID: only for the first email about a ticket. */
  startsThread?: boolean;
  mailDomain: string;
}

/**
 * Writes an email to the outbox inside the caller's transaction, so it is sent if and only if
 * the change that causes it commits. NOTIFY wakes the outbox workers when the transaction commits.
 */
export async function enqueueEmail(tx: Transaction, email: EnqueueEmail) {
  const messageId =
    email.startsThread && email.ticket ? email.ticket.messageId : newMessageId(email.mailDomain);
  const row = await tx.outboundEmail.create({
    data: {
      kind: email.kind,
      toAddress: email.to.email,
      userId: email.to.id,
      locale: email.to.locale,
      ticketId: email.ticket?.id,
      payload: email.payload,
      messageId,
    },
  });
  await tx.$executeRaw`SELECT pg_notify('guichet_outbox', ${String(row.id)})`;
  return row;
}

/**
 * Writes many emails to the outbox in one insert inside the caller's transaction, with one
 * NOTIFY. The emails belong to no ticket. The insert is raw SQL because Prisma's createMany
 * takes about 0.2 s per 1000 rows.
 */
export async function enqueueEmails(
  tx: Transaction,
  emails: Omit<EnqueueEmail, 'ticket' | 'startsThread'>[],
): Promise<void> {
  if (emails.length === 0) return;
  await tx.$executeRaw`
    INSERT INTO outbound_emails (kind, to_address, user_id, locale, payload, message_id)
    SELECT kind, to_address, user_id, locale, payload::jsonb, message_id
      FROM unnest(
             ${emails.map((email) => email.kind)}::text[],
             ${emails.map((email) => email.to.email)}::text[],
             ${emails.map((email) => email.to.id ?? null)}::int[],
             ${emails.map((email) => email.to.locale)}::"Locale"[],
             ${emails.map((email) => JSON.stringify(email.payload))}::text[],
             ${emails.map((email) => newMessageId(email.mailDomain))}::text[]
           ) AS row (kind, to_address, user_id, locale, payload, message_id)`;
  await tx.$executeRaw`SELECT pg_notify('guichet_outbox', 'batch')`;
}
