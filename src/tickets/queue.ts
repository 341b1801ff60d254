import { categoryName, listCategoryTree } from '../categories/service.ts';
import { Prisma, type Database, type TicketStatus, type TicketType } from '../db/client.ts';
import type { LocaleCode } from '../i18n/index.ts';
import { formatReference, parseReference } from './reference.ts';
import { STATUS_GROUPS } from './service.ts';

export const TICKET_STATUSES = [
  'NEW',
  'IN_PROGRESS',
  'WAITING_FOR_USER',
  'RESOLVED',
  'CLOSED',
] as const satisfies TicketStatus[];

/** A status, or "open" for the three statuses that still need work, or "all". */
export type QueueStatusFilter = TicketStatus | 'open' | 'all';

/** "updated": last update, newest first. "age": creation, oldest first. */
export type QueueSort = 'updated' | 'age';

export const QUEUE_PAGE_SIZE = 50;

/** Shortest search that the trigram indexes can serve: pg_trgm splits text into 3-letter runs. */
export const SEARCH_MIN_LENGTH = 3;
export const SEARCH_MAX_LENGTH = 200;

/** Position in the queue: the sort value of a row (updated_at or created_at) and its id. */
export interface QueueCursor {
  value: Date;
  id: number;
}

export interface QueueQuery {
  type?: TicketType;
  status: QueueStatusFilter;
  /** A category, whose sub-categories are included. */
  categoryId?: number;
  /** "mine" is the viewer's tickets. */
  assignee?: 'mine' | 'unassigned' | number;
  priority?: number;
  sort: QueueSort;
  /** A reference (INC-000123, inc-123), or text looked for in titles and descriptions. */
  search?: string;
  /** Rows after this one in the sort order, or before it when `direction` is "before". */
  cursor?: QueueCursor;
  direction?: 'after' | 'before';
  pageSize?: number;
}

export function encodeQueueCursor(cursor: QueueCursor): string {
  return Buffer.from(`${cursor.value.toISOString()}_${cursor.id}`).toString('base64url');
}

/** Decodes a cursor from a URL, or returns null when it is malformed. */
export function decodeQueueCursor(value: string): QueueCursor | null {
  const [iso, id, ...rest] = Buffer.from(value, 'base64url').toString().split('_');
  const date = new Date(iso ?? '');
  const number = Number(id);
  if (rest.length > 0 || Number.isNaN(date.getTime())) return null;
  if (!Number.isSafeInteger(number) || number < 1 || number > 2_147_483_647) return null;
  return { value: date, id: number };
}

/** Escapes the LIKE wildcards % and _ and the escape character itself. */
export function escapeLikePattern(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}

function statusesOf(filter: QueueStatusFilter): TicketStatus[] {
  if (filter === 'all') return [...TICKET_STATUSES];
  if (filter === 'open') return [...STATUS_GROUPS.open];
  return [filter];
}

/** Returns the ids of a category and of its sub-categories. */
async function categoryWithChildren(db: Database, categoryId: number): Promise<number[]> {
  const children = await db.category.findMany({
    where: { parentId: categoryId },
    select: { id: true },
  });
  return [categoryId, ...children.map((child) => child.id)];
}

/** Conditions of every filter except status, which the caller applies per branch. */
async function filterConditions(
  db: Database,
  viewerId: number,
  query: QueueQuery,
): Promise<Prisma.Sql[]> {
  const conditions: Prisma.Sql[] = [];
  if (query.type) conditions.push(Prisma.sql`type = ${query.type}::"TicketType"`);
  if (query.categoryId !== undefined) {
    const ids = await categoryWithChildren(db, query.categoryId);
    conditions.push(Prisma.sql`category_id IN (${Prisma.join(ids)})`);
  }
  if (query.assignee === 'mine') conditions.push(Prisma.sql`assignee_id = ${viewerId}`);
  else if (query.assignee === 'unassigned') conditions.push(Prisma.sql`assignee_id IS NULL`);
  else if (query.assignee !== undefined) {
    conditions.push(Prisma.sql`assignee_id = ${query.assignee}`);
  }
  if (query.priority !== undefined) conditions.push(Prisma.sql`priority = ${query.priority}`);

  const search = query.search?.trim();
  if (search) {
    const reference = parseReference(search);
    if (reference) {
      conditions.push(
        Prisma.sql`type = ${reference.type}::"TicketType" AND number = ${reference.number}`,
      );
    } else {
      const pattern = `%${escapeLikePattern(search)}%`;
      conditions.push(Prisma.sql`(title ILIKE ${pattern} OR description ILIKE ${pattern})`);
    }
  }
  return conditions;
}

/**
 * Builds the query that returns the ids of one page as a UNION ALL of one branch per status.
 * Each branch can then read an index on (status, sort column, id) in order and stop after
 * `limit` rows, which PostgreSQL 15 cannot do for `status IN (…)`. With a search, the planner
 * chooses per branch between that ordered scan, which suits common words, and the trigram
 * indexes, which suit rare ones.
 */
function pageQuery(query: QueueQuery, conditions: Prisma.Sql[], limit: number): Prisma.Sql {
  const backward = query.direction === 'before';
  const column = Prisma.raw(query.sort === 'age' ? 'created_at' : 'updated_at');
  // "updated" is newest first and "age" oldest first. A backward page reads the other way.
  const descending = (query.sort === 'updated') !== backward;
  const order = Prisma.raw(descending ? 'DESC' : 'ASC');
  const comparison = Prisma.raw(descending ? '<' : '>');

  const shared = [...conditions];
  if (query.cursor) {
    // The columns are UTC timestamps without time zone, and this cast drops the trailing Z.
    const value = query.cursor.value.toISOString();
    const id = query.cursor.id;
    shared.push(Prisma.sql`(${column}, id) ${comparison} (${value}::timestamp, ${id})`);
  }
  const branches = statusesOf(query.status).map((status) => {
    const where = Prisma.join([Prisma.sql`status = ${status}::"TicketStatus"`, ...shared], ' AND ');
    return Prisma.sql`(
      SELECT id, ${column} AS sort_value FROM tickets WHERE ${where}
      ORDER BY ${column} ${order}, id ${order} LIMIT ${limit})`;
  });
  return Prisma.sql`
    SELECT id FROM (${Prisma.join(branches, ' UNION ALL ')}) AS candidates
    ORDER BY sort_value ${order}, id ${order} LIMIT ${limit}`;
}

/**
 * Returns one page of the technicians' queue by keyset pagination on (sort value, id), so a
 * deep page costs about what the first one does. It never counts all matches: `next` and
 * `previous` are the cursors of the neighbouring pages, or null when there is none.
 */
export async function listQueue(db: Database, viewer: { id: number }, query: QueueQuery) {
  const pageSize = query.pageSize ?? QUEUE_PAGE_SIZE;
  const backward = query.direction === 'before';
  const conditions = await filterConditions(db, viewer.id, query);
  const rows = await db.$queryRaw<{ id: number }[]>(pageQuery(query, conditions, pageSize + 1));
  const hasMore = rows.length > pageSize;
  const ids = rows.slice(0, pageSize).map((row) => row.id);
  if (backward) ids.reverse();

  const loaded = await db.ticket.findMany({
    where: { id: { in: ids } },
    include: {
      category: { include: { parent: true } },
      requester: { select: { id: true, name: true } },
      assignee: { select: { id: true, name: true } },
    },
  });
  const byId = new Map(loaded.map((ticket) => [ticket.id, ticket]));
  const tickets = ids
    .map((id) => byId.get(id))
    .filter((ticket) => ticket !== undefined)
    .map((ticket) => ({ ...ticket, reference: formatReference(ticket.type, ticket.number) }));

  const cursorOf = (ticket: (typeof tickets)[number]) =>
    encodeQueueCursor({
      value: query.sort === 'age' ? ticket.createdAt : ticket.updatedAt,
      id: ticket.id,
    });
  const first = tickets[0];
  const last = tickets.at(-1);
  const hasPrevious = backward ? hasMore : Boolean(query.cursor);
  const hasNext = backward ? true : hasMore;
  return {
    tickets,
    previous: hasPrevious && first ? cursorOf(first) : null,
    next: hasNext && last ? cursorOf(last) : null,
  };
}

export type QueuePage = Awaited<ReturnType<typeof listQueue>>;

/** Returns the canonical reference when `search` is the reference of an existing ticket. */
export async function findReferencedTicket(db: Database, search: string): Promise<string | null> {
  const reference = parseReference(search);
  if (!reference) return null;
  const ticket = await db.ticket.findUnique({
    where: { type_number: { type: reference.type, number: reference.number } },
    select: { type: true, number: true },
  });
  return ticket ? formatReference(ticket.type, ticket.number) : null;
}

/** Lists the active technicians and admins, who can be assignees, by name. */
export function listAssignees(db: Database) {
  return db.user.findMany({
    where: { active: true, passwordHash: { not: null }, role: { in: ['TECHNICIAN', 'ADMIN'] } },
    orderBy: [{ name: 'asc' }, { id: 'asc' }],
    select: { id: true, name: true },
  });
}

export interface QueueCategoryGroup {
  type: TicketType;
  options: { id: number; label: string }[];
}

/**
 * Lists every category, active or not because old tickets keep retired ones, grouped by ticket
 * type, each parent followed by its sub-categories as "Parent › Child".
 */
export async function listQueueCategories(
  db: Database,
  locale: LocaleCode,
): Promise<QueueCategoryGroup[]> {
  const groups: QueueCategoryGroup[] = [];
  for (const type of ['INCIDENT', 'REQUEST'] as const) {
    const options: QueueCategoryGroup['options'] = [];
    for (const parent of await listCategoryTree(db, type)) {
      const parentName = categoryName(parent, locale);
      options.push({ id: parent.id, label: parentName });
      for (const child of parent.children) {
        options.push({ id: child.id, label: `${parentName} › ${categoryName(child, locale)}` });
      }
    }
    groups.push({ type, options });
  }
  return groups;
}
