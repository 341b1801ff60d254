import type { Config } from '../config.ts';
import type { Database, Prisma, TicketStatus, TicketType, User } from '../db/client.ts';
import { inTransaction, type DatabaseOrTransaction } from '../db/transaction.ts';
import { InvalidInputError } from '../errors.ts';
import { enqueueEmail } from '../mail/outbox.ts';
import { newMessageId } from '../mail/message-id.ts';
import { formatReference, parseReference } from './reference.ts';
import { isStaff, ticketVisibility } from './policy.ts';

export type Viewer = Pick<User, 'id' | 'role'>;

export interface NewTicket {
  type: TicketType;
  categoryId: number;
  title: string;
  description: string;
}

/**
 * Opens a ticket in one transaction: the next reference number of its type, the ticket, its
 * "created" event and the acknowledgement email to the requester.
 */
export async function createTicket(
  db: DatabaseOrTransaction,
  config: Pick<Config, 'mailDomain'>,
  requester: Pick<User, 'id' | 'email' | 'locale'>,
  input: NewTicket,
) {
  return inTransaction(db, async (tx) => {
    const category = await tx.category.findFirst({
      where: { id: input.categoryId, type: input.type, active: true },
      include: { parent: true },
    });
    if (!category || (category.parent && !category.parent.active)) {
      throw new InvalidInputError({ categoryId: 'tickets.form.errors.categoryUnavailable' });
    }

    const [{ last_number: number }] = await tx.$queryRaw<{ last_number: number }[]>`
      INSERT INTO ticket_counters (type, last_number) VALUES (${input.type}::"TicketType", 1)
      ON CONFLICT (type) DO UPDATE SET last_number = ticket_counters.last_number + 1
      RETURNING last_number`;
    const reference = formatReference(input.type, number);

    const ticket = await tx.ticket.create({
      data: {
        type: input.type,
        number,
        categoryId: category.id,
        title: input.title,
        description: input.description,
        requesterId: requester.id,
        messageId: newMessageId(config.mailDomain, `ticket.${reference}`),
      },
    });
    await tx.ticketEvent.create({
      data: { ticketId: ticket.id, actorId: requester.id, kind: 'CREATED' },
    });
    await enqueueEmail(tx, {
      kind: 'ticket-created',
      to: requester,
      payload: {},
      ticket,
      startsThread: true,
      mailDomain: config.mailDomain,
    });
    return { ...ticket, reference };
  });
}

/** Status groups offered as list filters and home-page counters. */
export const STATUS_GROUPS = {
  open: ['NEW', 'IN_PROGRESS', 'WAITING_FOR_USER'],
  waiting: ['WAITING_FOR_USER'],
  resolved: ['RESOLVED'],
  closed: ['CLOSED'],
} as const satisfies Record<string, TicketStatus[]>;

export type StatusGroup = keyof typeof STATUS_GROUPS;

export interface TicketCursor {
  createdAt: Date;
  id: number;
}

export function encodeCursor(cursor: TicketCursor): string {
  return Buffer.from(`${cursor.createdAt.toISOString()}_${cursor.id}`).toString('base64url');
}

/** Decodes a cursor from a URL; returns null when it is malformed. */
export function decodeCursor(value: string): TicketCursor | null {
  const [iso, id] = Buffer.from(value, 'base64url').toString().split('_');
  const createdAt = new Date(iso ?? '');
  const number = Number(id);
  if (Number.isNaN(createdAt.getTime()) || !Number.isSafeInteger(number) || number < 1) return null;
  return { createdAt, id: number };
}

export interface ListQuery {
  type: TicketType;
  group?: StatusGroup;
  /** Rows after this one (older), or before it (newer) when `direction` is "before". */
  cursor?: TicketCursor;
  direction?: 'after' | 'before';
  pageSize?: number;
}

/**
 * Returns one page of tickets, newest first, by keyset pagination on (created_at, id) so that a deep
 * page costs the same as the first. Requesters see only their own tickets.
 */
export async function listTickets(db: Database, viewer: Viewer, query: ListQuery) {
  const pageSize = query.pageSize ?? 25;
  const before = query.direction === 'before';
  const where: Prisma.TicketWhereInput = { type: query.type, ...ticketVisibility(viewer) };
  if (query.group) where.status = { in: [...STATUS_GROUPS[query.group]] };
  if (query.cursor) {
    const { createdAt, id } = query.cursor;
    where.OR = before
      ? [{ createdAt: { gt: createdAt } }, { createdAt, id: { gt: id } }]
      : [{ createdAt: { lt: createdAt } }, { createdAt, id: { lt: id } }];
  }
  const order = before ? 'asc' : 'desc';
  const rows = await db.ticket.findMany({
    where,
    orderBy: [{ createdAt: order }, { id: order }],
    take: pageSize + 1,
    include: { category: { include: { parent: true } } },
  });
  const hasMore = rows.length > pageSize;
  const page = rows.slice(0, pageSize);
  if (before) page.reverse();
  const tickets = page.map((ticket) => ({
    ...ticket,
    reference: formatReference(ticket.type, ticket.number),
  }));
  return {
    tickets,
    newer:
      (before ? hasMore : Boolean(query.cursor)) && tickets.length > 0
        ? encodeCursor(tickets[0])
        : null,
    older: (before ? true : hasMore) && tickets.length > 0 ? encodeCursor(tickets.at(-1)!) : null,
  };
}

/** Counts of the viewer's tickets per type and status group, for the home page. */
export async function countTicketsByGroup(db: Database, viewer: Viewer) {
  const rows = await db.ticket.groupBy({
    by: ['type', 'status'],
    where: ticketVisibility(viewer),
    _count: { _all: true },
  });
  const counts = {} as Record<TicketType, Record<StatusGroup, number>>;
  for (const type of ['INCIDENT', 'REQUEST'] as const) {
    counts[type] = { open: 0, waiting: 0, resolved: 0, closed: 0 };
    for (const [group, statuses] of Object.entries(STATUS_GROUPS) as [
      StatusGroup,
      readonly TicketStatus[],
    ][]) {
      counts[type][group] = rows
        .filter((row) => row.type === type && statuses.includes(row.status))
        .reduce((sum, row) => sum + row._count._all, 0);
    }
  }
  return counts;
}

/**
 * Finds the ticket with this reference if the viewer may see it, else returns null, so that
 * another requester's ticket looks exactly like a missing one. Requesters get the public events
 * only.
 */
export async function findVisibleTicket(db: Database, viewer: Viewer, reference: string) {
  const parsed = parseReference(reference);
  if (!parsed) return null;
  const ticket = await db.ticket.findFirst({
    where: { type: parsed.type, number: parsed.number, ...ticketVisibility(viewer) },
    include: {
      category: { include: { parent: true } },
      requester: true,
      assignee: true,
      events: {
        // Internal notes never leave the database for a requester, not even to the view.
        where: isStaff(viewer) ? {} : { internal: false },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        include: {
          actor: true,
          attachments: { select: { id: true, fileName: true, size: true }, orderBy: { id: 'asc' } },
          inboundMessage: { select: { id: true } },
        },
      },
    },
  });
  if (!ticket) return null;
  return { ...ticket, reference: formatReference(ticket.type, ticket.number) };
}
