import { z } from 'zod';
import { SEARCH_MAX_LENGTH, SEARCH_MIN_LENGTH, TICKET_STATUSES } from './queue.ts';

/**
 * Filters of the queue page's GET form. A value that is not one of the offered choices resets
 * that filter to its default instead of failing, since only a hand-edited address sends one.
 */
export const queueFilters = z.object({
  type: z.enum(['INCIDENT', 'REQUEST']).optional().catch(undefined),
  status: z
    .enum(['open', 'all', ...TICKET_STATUSES])
    .default('open')
    .catch('open'),
  category: z.coerce.number().int().positive().max(2_147_483_647).optional().catch(undefined),
  assignee: z
    .union([z.enum(['mine', 'unassigned']), z.coerce.number().int().positive().max(2_147_483_647)])
    .optional()
    .catch(undefined),
  priority: z.coerce.number().int().min(1).max(5).optional().catch(undefined),
  sort: z.enum(['updated', 'age']).default('updated').catch('updated'),
  after: z.string().max(200).optional().catch(undefined),
  before: z.string().max(200).optional().catch(undefined),
});

export type QueueFilters = z.infer<typeof queueFilters>;

/** The search field, checked like a form field: its errors are shown beside it. */
export const queueSearch = z.object({
  q: z
    .string({ error: 'tickets.queue.errors.searchInvalid' })
    .trim()
    .max(SEARCH_MAX_LENGTH, { error: 'tickets.queue.errors.searchTooLong' })
    .refine((text) => text.length === 0 || text.length >= SEARCH_MIN_LENGTH, {
      error: 'tickets.queue.errors.searchTooShort',
    })
    .optional(),
});
