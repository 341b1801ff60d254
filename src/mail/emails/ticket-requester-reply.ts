import { loadPayloadEvent, loadTicketEmail } from './ticket-email.ts';
import type { EmailModule } from './types.ts';

/** The requester's reply, or their reopening of a resolved ticket, sent to the assignee. */
export const ticketRequesterReplyEmail: EmailModule = {
  kind: 'ticket-requester-reply',
  async build(email, context) {
    const { ticket, recipient, reference, link, subject } = await loadTicketEmail(email, context);
    const event = await loadPayloadEvent(email, context);
    const reopened = event.kind === 'REOPENED';
    const subjectKey = reopened ? 'subjectReopened' : 'subject';
    return {
      subject: subject(
        context.t(`emails.ticketRequesterReply.${subjectKey}`, { title: ticket.title }),
      ),
      template: 'ticket-requester-reply',
      data: {
        name: recipient.name,
        reference,
        requesterName: ticket.requester.name,
        reopened,
        message: event.body ?? '',
        link,
      },
    };
  },
};
