import type { Response } from 'express';
import type { Database } from '../db/client.ts';
import type { FieldErrors } from '../http/forms.ts';
import { isStaff, ticketPermissions } from './policy.ts';
import { PRIORITY_LEVELS, PRIORITY_MATRIX } from './priority.ts';
import type { findVisibleTicket } from './service.ts';

export type VisibleTicket = NonNullable<Awaited<ReturnType<typeof findVisibleTicket>>>;

/** URL segment of the module that lists tickets of this type. */
export function modulePath(type: VisibleTicket['type']): string {
  return type === 'INCIDENT' ? 'incidents' : 'requests';
}

/**
 * Renders the ticket page with the forms the viewer may use. `values` and `errors` refill an
 * action form that failed validation.
 */
export async function renderTicketPage(
  db: Database,
  viewer: Express.User,
  res: Response,
  ticket: VisibleTicket,
  form: { values?: Record<string, unknown>; errors?: FieldErrors } = {},
) {
  const staff = isStaff(viewer);
  const technicians = staff
    ? await db.user.findMany({
        where: { active: true, passwordHash: { not: null }, role: { in: ['TECHNICIAN', 'ADMIN'] } },
        orderBy: [{ name: 'asc' }, { id: 'asc' }],
        select: { id: true, name: true, email: true },
      })
    : [];
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(form.values ?? {})) {
    if (typeof value === 'string' && key !== '_csrf') values[key] = value;
  }
  res.render('tickets/show', {
    ticket,
    modulePath: modulePath(ticket.type),
    staff,
    can: ticketPermissions(viewer, ticket),
    technicians,
    priorityLevels: PRIORITY_LEVELS,
    priorityMatrix: PRIORITY_MATRIX,
    values,
    errors: form.errors ?? {},
  });
}
