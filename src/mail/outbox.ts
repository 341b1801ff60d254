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
