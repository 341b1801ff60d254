import { z } from 'zod';
import { requiredText } from '../http/forms.ts';

export const TITLE_MAX_LENGTH = 200;
export const DESCRIPTION_MAX_LENGTH = 20_000;

export const ticketForm = z.object({
  categoryId: z.coerce
    .number({ error: 'tickets.form.errors.categoryMissing' })
    .int({ error: 'tickets.form.errors.categoryMissing' })
    .positive({ error: 'tickets.form.errors.categoryMissing' }),
  title: requiredText(TITLE_MAX_LENGTH, {
    missing: 'tickets.form.errors.titleMissing',
    tooLong: 'tickets.form.errors.titleTooLong',
  }),
  description: requiredText(DESCRIPTION_MAX_LENGTH, {
    missing: 'tickets.form.errors.descriptionMissing',
    tooLong: 'tickets.form.errors.descriptionTooLong',
  }),
});

export const listQuery = z.object({
  status: z.enum(['open', 'waiting', 'resolved', 'closed']).optional().catch(undefined),
  after: z.string().max(200).optional().catch(undefined),
  before: z.string().max(200).optional().catch(undefined),
});

export const MESSAGE_MAX_LENGTH = 20_000;

function messageText(field: string) {
  return requiredText(MESSAGE_MAX_LENGTH, {
    missing: `tickets.workflow.errors.${field}Missing`,
    tooLong: 'tickets.workflow.errors.messageTooLong',
  });
}

/** Forms of the ticket page's actions; field names differ so errors land beside the right form. */
export const questionForm = z.object({ question: messageText('question') });
export const replyForm = z.object({ message: messageText('message') });
export const noteForm = z.object({ note: messageText('note') });
export const answerForm = z.object({ answer: messageText('answer') });
export const reopenForm = z.object({ comment: messageText('comment') });
export const assignForm = z.object({
  assigneeId: z.coerce
    .number({ error: 'tickets.workflow.errors.assigneeMissing' })
    .int({ error: 'tickets.workflow.errors.assigneeMissing' })
    .positive({ error: 'tickets.workflow.errors.assigneeMissing' }),
});
const level = z.enum(['LOW', 'MEDIUM', 'HIGH'], { error: 'tickets.priority.errors.levelMissing' });
export const priorityForm = z.object({ impact: level, urgency: level });
