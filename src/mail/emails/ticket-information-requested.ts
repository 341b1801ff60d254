import { loadPayloadEvent, loadTicketEmail } from './ticket-email.ts';
import type { EmailModule } from './types.ts';

/** A technician's question to the requester, who may answer by email or on the ticket page. */
export const ticketInformationRequestedEmail: EmailModule = {
  kind: 'ticket-information-requested',
  async build(email, context) {
    const { ticket, recipient, reference, link, subject } = await loadTicketEmail(email, context);
    const event = await loadPayloadEvent(email, context);
    return {
      subject: subject(
        context.t('emails.ticketInformationRequested.subject', { title: ticket.title }),
      ),
      template: 'ticket-information-requested',
      data: {
        name: recipient.name,
        reference,
        authorName: event.actor?.name ?? context.t('app.name'),
        question: event.body ?? '',
        link,
      },
    };
  },
};
