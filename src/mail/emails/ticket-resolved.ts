import { loadPayloadEvent, loadTicketEmail } from './ticket-email.ts';
import type { EmailModule } from './types.ts';

/**
 * The technical answer and a summary of the ticket, sent to the requester with links to confirm
 * the resolution or reopen the ticket on its page.
 */
export const ticketResolvedEmail: EmailModule = {
  kind: 'ticket-resolved',
  async build(email, context) {
    const loaded = await loadTicketEmail(email, context);
    const { ticket, recipient, reference, category, link, subject } = loaded;
    const event = await loadPayloadEvent(email, context);
    return {
      subject: subject(context.t('emails.ticketResolved.subject', { title: ticket.title })),
      template: 'ticket-resolved',
      data: {
        name: recipient.name,
        reference,
        title: ticket.title,
        category,
        openedAt: ticket.createdAt,
        resolvedAt: event.createdAt,
        handlerName: ticket.assignee?.name ?? event.actor?.name ?? '',
        answer: event.body ?? '',
        link,
        confirmLink: `${link}#confirm`,
        reopenLink: `${link}#reopen`,
        autoCloseDays: context.config.AUTO_CLOSE_DAYS,
      },
    };
  },
};
