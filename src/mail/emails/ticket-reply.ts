import { loadPayloadEvent, loadTicketEmail } from './ticket-email.ts';
import type { EmailModule } from './types.ts';

/** A technician's public reply, sent to the requester. */
export const ticketReplyEmail: EmailModule = {
  kind: 'ticket-reply',
  async build(email, context) {
    const { ticket, recipient, reference, link, subject } = await loadTicketEmail(email, context);
    const event = await loadPayloadEvent(email, context);
    return {
      subject: subject(context.t('emails.ticketReply.subject', { title: ticket.title })),
      template: 'ticket-reply',
      data: {
        name: recipient.name,
        reference,
        authorName: event.actor?.name ?? context.t('app.name'),
        message: event.body ?? '',
        link,
      },
    };
  },
};
