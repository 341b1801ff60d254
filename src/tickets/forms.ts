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
