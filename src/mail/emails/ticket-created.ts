import { formatReference } from '../../tickets/reference.ts';
import { categoryPath } from '../../categories/service.ts';
import type { EmailModule } from './types.ts';

/** Acknowledgement sent to the requester when a ticket is opened. */
export const ticketCreatedEmail: EmailModule = {
  kind: 'ticket-created',
  async build(email, { db, config, locale, t }) {
    const ticket = await db.ticket.findUniqueOrThrow({
      where: { id: email.ticketId ?? -1 },
      include: { category: { include: { parent: true } }, requester: true },
    });
    const reference = formatReference(ticket.type, ticket.number);
    return {
      subject: `[${reference}] ${t('emails.ticketCreated.subject', { title: ticket.title })}`,
      template: 'ticket-created',
      data: {
        name: ticket.requester.name,
        reference,
        title: ticket.title,
        description: ticket.description,
        category: categoryPath(ticket.category, locale),
        type: ticket.type,
        link: `${config.BASE_URL}/tickets/${reference}`,
      },
    };
  },
};
