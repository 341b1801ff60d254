import { Router, type Request, type Response } from 'express';
import { listCategoryOptions } from '../categories/service.ts';
import type { TicketType } from '../db/client.ts';
import { BadRequestError, InvalidInputError, NotFoundError } from '../errors.ts';
import { requireUser } from '../http/auth.ts';
import type { AppContext } from '../http/context.ts';
import { flash } from '../http/flash.ts';
import { parseForm, type FieldErrors } from '../http/forms.ts';
import { ticketForm, listQuery } from './forms.ts';
import { renderTicketPage } from './page.ts';
import { isStaff } from './policy.ts';
import {
  countTicketsByGroup,
  createTicket,
  decodeCursor,
  findVisibleTicket,
  listTickets,
} from './service.ts';

/** URL segment of each ticket type's module. */
const MODULES = [
  { type: 'INCIDENT', path: 'incidents' },
  { type: 'REQUEST', path: 'requests' },
] as const satisfies { type: TicketType; path: string }[];

export function ticketRoutes({ db, config }: AppContext): Router {
  const router = Router();
  router.use(requireUser);

  router.get('/', async (req, res) => {
    const counts = await countTicketsByGroup(db, req.user!);
    res.render('home', { counts, staff: isStaff(req.user!) });
  });

  for (const { type, path } of MODULES) {
    router.get(`/${path}`, async (req, res) => {
      const query = listQuery.parse(req.query);
      const cursorValue = query.before ?? query.after;
      const cursor = cursorValue ? decodeCursor(cursorValue) : undefined;
      if (cursor === null) throw new BadRequestError('errors.badRequest', 'Malformed list cursor');

      const page = await listTickets(db, req.user!, {
        type,
        group: query.status,
        cursor,
        direction: query.before ? 'before' : 'after',
      });
      res.render('tickets/list', {
        type,
        modulePath: path,
        status: query.status ?? null,
        page,
        staff: isStaff(req.user!),
      });
    });

    router.get(`/${path}/new`, async (req, res) => {
      await renderForm(req, res, type, path, {}, {});
    });

    router.post(`/${path}`, async (req, res) => {
      const form = parseForm(ticketForm, req.body);
      if (!form.success) {
        return renderForm(req, res.status(400), type, path, req.body ?? {}, form.errors);
      }

      try {
        const ticket = await createTicket(db, config, req.user!, { type, ...form.data });
        req.log.info({ ticketId: ticket.id, reference: ticket.reference }, 'Ticket created');
        flash(req, {
          type: 'success',
          key: 'tickets.created',
          params: { reference: ticket.reference },
        });
        res.redirect(`/${path}`);
      } catch (error) {
        if (!(error instanceof InvalidInputError)) throw error;
        await renderForm(req, res.status(400), type, path, req.body ?? {}, error.fields);
      }
    });
  }

  router.get('/tickets/:reference', async (req, res) => {
    const ticket = await findVisibleTicket(db, req.user!, req.params.reference);
    if (!ticket) throw new NotFoundError(`Ticket ${req.params.reference}`);

    await renderTicketPage(db, req.user!, res, ticket);
  });

  async function renderForm(
    req: Request,
    res: Response,
    type: TicketType,
    path: string,
    values: Record<string, unknown>,
    errors: FieldErrors,
  ) {
    const categories = await listCategoryOptions(db, type, req.locale);
    res.render('tickets/form', {
      type,
      modulePath: path,
      categories,
      values: {
        categoryId: String(values.categoryId ?? ''),
        title: typeof values.title === 'string' ? values.title : '',
        description: typeof values.description === 'string' ? values.description : '',
      },
      errors,
    });
  }

  return router;
}
