import { z } from 'zod';
import { loadTicketEmail } from './ticket-email.ts';
import type { EmailModule } from './types.ts';

const payloadSchema = z.object({ handlerId: z.number().int() });

/** Tells the requester who now handles their ticket, with the technician's email address. */
export const ticketTakenEmail: EmailModule = {
  kind: 'ticket-taken',
  async build(email, context) {
    const { handlerId } = payloadSchema.parse(email.payload);
    const { ticket, recipient, reference, link, subject } = await loadTicketEmail(email, context);
    const handler = await context.db.user.findUniqueOrThrow({ where: { id: handlerId } });
    return {
      subject: subject(context.t('emails.ticketTaken.subject', { title: ticket.title })),
      template: 'ticket-taken',
      data: {
        name: recipient.name,
        reference,
        title: ticket.title,
        handlerName: handler.name,
        handlerEmail: handler.email,
        link,
      },
    };
  },
};
