import { z } from 'zod';
import { loadTicketEmail } from './ticket-email.ts';
import type { EmailModule } from './types.ts';

const payloadSchema = z.object({ assignerId: z.number().int() });

/** Tells a technician that someone else assigned a ticket to them. */
export const ticketAssignedEmail: EmailModule = {
  kind: 'ticket-assigned',
  async build(email, context) {
    const { assignerId } = payloadSchema.parse(email.payload);
    const loaded = await loadTicketEmail(email, context);
    const { ticket, recipient, reference, category, link, subject } = loaded;
    const assigner = await context.db.user.findUniqueOrThrow({ where: { id: assignerId } });
    return {
      subject: subject(context.t('emails.ticketAssigned.subject', { title: ticket.title })),
      template: 'ticket-assigned',
      data: {
        name: recipient.name,
        assignerName: assigner.name,
        reference,
        title: ticket.title,
        category,
        requesterName: ticket.requester.name,
        priority: ticket.priority,
        description: ticket.description,
        link,
      },
    };
  },
};
