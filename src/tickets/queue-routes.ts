import { Router, type Response } from 'express';
import { BadRequestError } from '../errors.ts';
import { requireRole } from '../http/auth.ts';
import type { AppContext } from '../http/context.ts';
import { parseForm, type FieldErrors } from '../http/forms.ts';
import {
  decodeQueueCursor,
  findReferencedTicket,
  listAssignees,
  listQueue,
  listQueueCategories,
  type QueuePage,
} from './queue.ts';
import { queueFilters, queueSearch, type QueueFilters } from './queue-forms.ts';

/** Query string of the filters that differ from their defaults, for the pagination links. */
function filterParameters(filters: QueueFilters, search: string): URLSearchParams {
  const parameters = new URLSearchParams();
  if (filters.type) parameters.set('type', filters.type);
  if (filters.status !== 'open') parameters.set('status', filters.status);
  if (filters.category !== undefined) parameters.set('category', String(filters.category));
  if (filters.assignee !== undefined) parameters.set('assignee', String(filters.assignee));
  if (filters.priority !== undefined) parameters.set('priority', String(filters.priority));
  if (filters.sort !== 'updated') parameters.set('sort', filters.sort);
  if (search) parameters.set('q', search);
  return parameters;
}

/** GET /queue: the tickets that technicians and admins work on, filtered and paginated. */
export function queueRoutes({ db }: AppContext): Router {
  const router = Router();

  router.get('/queue', requireRole('TECHNICIAN', 'ADMIN'), async (req, res) => {
    const filters = queueFilters.parse(req.query);
    const form = parseForm(queueSearch, req.query);
    const rawSearch = typeof req.query.q === 'string' ? req.query.q.slice(0, 300) : '';
    if (!form.success) {
      return renderQueue(res.status(400), filters, rawSearch, null, form.errors);
    }
    const search = form.data.q ?? '';
    const cursorValue = filters.before ?? filters.after;
    const cursor = cursorValue ? decodeQueueCursor(cursorValue) : undefined;
    if (cursor === null) throw new BadRequestError('errors.badRequest', 'Malformed queue cursor');

    const reference = search && !cursor ? await findReferencedTicket(db, search) : null;
    if (reference) return res.redirect(`/tickets/${reference}`);

    const page = await listQueue(db, req.user!, {
      type: filters.type,
      status: filters.status,
      categoryId: filters.category,
      assignee: filters.assignee,
      priority: filters.priority,
      sort: filters.sort,
      search: search || undefined,
      cursor,
      direction: filters.before ? 'before' : 'after',
    });
    await renderQueue(res, filters, search, page, {});
  });

  async function renderQueue(
    res: Response,
    filters: QueueFilters,
    search: string,
    page: QueuePage | null,
    errors: FieldErrors,
  ) {
    const [categories, assignees] = await Promise.all([
      listQueueCategories(db, res.req.locale),
      listAssignees(db),
    ]);
    res.render('tickets/queue', {
      filters,
      search,
      page,
      errors,
      categories,
      assignees,
      parameters: filterParameters(filters, search).toString(),
    });
  }

  return router;
}
