import { z } from 'zod';
import { categoryPath } from '../../categories/service.ts';
import type { OutboundEmail } from '../../db/client.ts';
import { formatReference } from '../../tickets/reference.ts';
import type { EmailContext } from './types.ts';

/**
 * Loads what every email about a ticket shows: the ticket, its recipient, reference, category
 * and page link. The subject of each such email starts with the reference in brackets.
 */
export async function loadTicketEmail(email: OutboundEmail, { db, config, locale }: EmailContext) {
  const ticket = await db.ticket.findUniqueOrThrow({
    where: { id: email.ticketId ?? -1 },
    include: { category: { include: { parent: true } }, requester: true, assignee: true },
  });
  const recipient = await db.user.findUniqueOrThrow({ where: { id: email.userId ?? -1 } });
  const reference = formatReference(ticket.type, ticket.number);
  return {
    ticket,
    recipient,
    reference,
    category: categoryPath(ticket.category, locale),
    link: `${config.BASE_URL}/tickets/${reference}`,
    subject: (text: string) => `[${reference}] ${text}`,
  };
}

const eventPayload = z.object({ eventId: z.number().int() });

/** Loads the ticket event named by an email's payload, with its author. */
export async function loadPayloadEvent(email: OutboundEmail, { db }: EmailContext) {
  const { eventId } = eventPayload.parse(email.payload);
  return db.ticketEvent.findUniqueOrThrow({ where: { id: eventId }, include: { actor: true } });
}
