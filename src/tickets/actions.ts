import type { Config } from '../config.ts';
import type {
  Database,
  Prisma,
  PriorityLevel,
  TicketEventKind,
  TicketStatus,
  User,
} from '../db/client.ts';
import { inTransaction, type DatabaseOrTransaction } from '../db/transaction.ts';
import { ForbiddenError, InvalidInputError, NotFoundError } from '../errors.ts';
import { enqueueEmail } from '../mail/outbox.ts';
import { isStaff } from './policy.ts';
import { computePriority } from './priority.ts';
import { nextStatus, TicketConflictError, WorkflowError, type TicketAction } from './workflow.ts';

type Transaction = Prisma.TransactionClient;
type MailConfig = Pick<Config, 'mailDomain'>;

export type Actor = Pick<User, 'id' | 'role'>;

/** A user as recorded in an event's `changes`: the name is kept as it was at the time. */
export interface PersonSnapshot {
  id: number;
  name: string;
}

export interface PrioritySnapshot {
  impact: PriorityLevel;
  urgency: PriorityLevel;
  priority: number;
}

/** The `changes` JSON of a ticket event: before and after values of what the action changed. */
export interface EventChanges {
  status?: { before: TicketStatus; after: TicketStatus };
  assignee?: { before: PersonSnapshot | null; after: PersonSnapshot | null };
  priority?: { before: PrioritySnapshot; after: PrioritySnapshot };
}

/** Reads a ticket with its requester and assignee, or throws a NotFoundError. */
export async function loadTicket(tx: Transaction, ticketId: number) {
  const ticket = await tx.ticket.findUnique({
    where: { id: ticketId },
    include: { requester: true, assignee: true },
  });
  if (!ticket) throw new NotFoundError(`Ticket ${ticketId}`);
  return ticket;
}

type LoadedTicket = Awaited<ReturnType<typeof loadTicket>>;

function snapshot(user: Pick<User, 'id' | 'name'> | null): PersonSnapshot | null {
  return user ? { id: user.id, name: user.name } : null;
}

function requireStaff(actor: Actor): void {
  if (!isStaff(actor)) throw new ForbiddenError(`Role ${actor.role} cannot act as staff`);
}

function requireRequester(actor: Actor, ticket: LoadedTicket): void {
  if (ticket.requesterId !== actor.id) {
    throw new ForbiddenError(`User ${actor.id} is not the requester of ticket ${ticket.id}`);
  }
}

/** Dates that follow a status change: resolvedAt is set on resolving and cleared on reopening. */
function statusDates(before: TicketStatus, after: TicketStatus, now: Date) {
  if (before === after) return {};
  if (after === 'RESOLVED') return { resolvedAt: now, closedAt: null };
  if (after === 'CLOSED') return { closedAt: now };
  if (before === 'RESOLVED') return { resolvedAt: null };
  return {};
}

interface ActionChange {
  action: TicketAction;
  kind: TicketEventKind;
  body?: string;
  internal?: boolean;
  /** New assignee; undefined keeps the current one. */
  assignee?: Pick<User, 'id' | 'name'>;
  priority?: Pick<PrioritySnapshot, 'impact' | 'urgency'>;
  now?: Date;
}

/**
 * Applies one workflow action inside the caller's transaction and records its event. The update
 * only matches while the ticket still has the status, assignee and priority read at the start,
 * so of two concurrent actions on the same state exactly one succeeds and the other throws a
 * TicketConflictError.
 */
export async function applyAction(
  tx: Transaction,
  actorId: number | null,
  ticket: LoadedTicket,
  change: ActionChange,
) {
  const now = change.now ?? new Date();
  const status = nextStatus(change.action, ticket.status);
  const assignee = change.assignee === undefined ? ticket.assignee : change.assignee;
  const changes: EventChanges = {};
  if (status !== ticket.status) changes.status = { before: ticket.status, after: status };
  if ((assignee?.id ?? null) !== ticket.assigneeId) {
    changes.assignee = { before: snapshot(ticket.assignee), after: snapshot(assignee) };
  }
  let priority: PrioritySnapshot | undefined;
  if (change.priority) {
    const { impact, urgency } = change.priority;
    priority = { impact, urgency, priority: computePriority(impact, urgency) };
    const before = { impact: ticket.impact, urgency: ticket.urgency, priority: ticket.priority };
    changes.priority = { before, after: priority };
  }

  const { count } = await tx.ticket.updateMany({
    where: {
      id: ticket.id,
      status: ticket.status,
      assigneeId: ticket.assigneeId,
      impact: ticket.impact,
      urgency: ticket.urgency,
    },
    data: {
      status,
      assigneeId: assignee?.id ?? null,
      ...statusDates(ticket.status, status, now),
      ...priority,
    },
  });
  if (count !== 1) throw new TicketConflictError(ticket.id);

  return tx.ticketEvent.create({
    data: {
      ticketId: ticket.id,
      actorId,
      kind: change.kind,
      body: change.body,
      internal: change.internal ?? false,
      changes: Object.keys(changes).length > 0 ? (changes as Prisma.InputJsonObject) : undefined,
      createdAt: now,
    },
  });
}

/** Queues an email about the ticket, unless the recipient is missing, inactive or the actor. */
async function notify(
  tx: Transaction,
  config: MailConfig,
  actor: Actor,
  ticket: LoadedTicket,
  email: { kind: string; to: User | null; payload: Prisma.InputJsonObject },
) {
  if (!email.to || !email.to.active || email.to.id === actor.id) return;
  await enqueueEmail(tx, {
    kind: email.kind,
    to: email.to,
    payload: email.payload,
    ticket,
    mailDomain: config.mailDomain,
  });
}

export interface TicketInput {
  ticketId: number;
}

export interface MessageInput extends TicketInput {
  body: string;
}

/** Makes the acting technician the ticket's assignee and sets it in progress. */
export async function takeTicket(
  db: Database,
  config: MailConfig,
  actor: Actor,
  input: TicketInput,
) {
  requireStaff(actor);
  return db.$transaction(async (tx) => {
    const ticket = await loadTicket(tx, input.ticketId);
    if (ticket.assigneeId === actor.id && ticket.status === 'IN_PROGRESS') {
      throw new WorkflowError(
        'tickets.workflow.errors.alreadyYours',
        'Ticket already handled by the actor',
      );
    }
    // Taking a colleague's ticket goes through "assign". Here it means another technician took
    // it between the page load and this request, as in two takes at the same moment.
    if (ticket.assigneeId !== null && ticket.assigneeId !== actor.id) {
      throw new TicketConflictError(ticket.id);
    }
    const handler = await tx.user.findUniqueOrThrow({ where: { id: actor.id } });
    const event = await applyAction(tx, actor.id, ticket, {
      action: 'take',
      kind: 'TAKEN',
      assignee: handler,
    });
    await notify(tx, config, actor, ticket, {
      kind: 'ticket-taken',
      to: ticket.requester,
      payload: { handlerId: handler.id },
    });
    return event;
  });
}

export interface AssignInput extends TicketInput {
  assigneeId: number;
}

/**
 * Assigns the ticket to an active technician or admin, who receives an email unless they assigned
 * it themselves. The requester learns who handles an open ticket.
 */
export async function assignTicket(
  db: Database,
  config: MailConfig,
  actor: Actor,
  input: AssignInput,
) {
  requireStaff(actor);
  return db.$transaction(async (tx) => {
    const ticket = await loadTicket(tx, input.ticketId);
    const assignee = await tx.user.findFirst({
      where: {
        id: input.assigneeId,
        active: true,
        // An invited technician who has not set a password yet cannot work on tickets.
        passwordHash: { not: null },
        role: { in: ['TECHNICIAN', 'ADMIN'] },
      },
    });
    if (!assignee)
      throw new InvalidInputError({ assigneeId: 'tickets.workflow.errors.assigneeInvalid' });
    if (assignee.id === ticket.assigneeId) {
      throw new WorkflowError('tickets.workflow.errors.alreadyAssigned', 'Same assignee');
    }

    const event = await applyAction(tx, actor.id, ticket, {
      action: 'assign',
      kind: 'ASSIGNED',
      assignee,
    });
    await notify(tx, config, actor, ticket, {
      kind: 'ticket-assigned',
      to: assignee,
      payload: { assignerId: actor.id },
    });
    if (ticket.status !== 'RESOLVED') {
      await notify(tx, config, actor, ticket, {
        kind: 'ticket-taken',
        to: ticket.requester,
        payload: { handlerId: assignee.id },
      });
    }
    return event;
  });
}

/** Asks the requester a question, publicly, and waits for their answer. */
export async function askForInformation(
  db: Database,
  config: MailConfig,
  actor: Actor,
  input: MessageInput,
) {
  requireStaff(actor);
  return db.$transaction(async (tx) => {
    const ticket = await loadTicket(tx, input.ticketId);
    const event = await applyAction(tx, actor.id, ticket, {
      action: 'ask',
      kind: 'INFORMATION_REQUESTED',
      body: input.body,
    });
    await notify(tx, config, actor, ticket, {
      kind: 'ticket-information-requested',
      to: ticket.requester,
      payload: { eventId: event.id },
    });
    return event;
  });
}

/** Adds a technician's public reply, which the requester receives by email. */
export async function replyAsStaff(
  db: DatabaseOrTransaction,
  config: MailConfig,
  actor: Actor,
  input: MessageInput,
) {
  requireStaff(actor);
  return inTransaction(db, async (tx) => {
    const ticket = await loadTicket(tx, input.ticketId);
    const event = await applyAction(tx, actor.id, ticket, {
      action: 'reply',
      kind: 'COMMENT',
      body: input.body,
    });
    await notify(tx, config, actor, ticket, {
      kind: 'ticket-reply',
      to: ticket.requester,
      payload: { eventId: event.id },
    });
    return event;
  });
}

/** Adds an internal note: shown to staff only, and never emailed. */
export async function addInternalNote(db: Database, actor: Actor, input: MessageInput) {
  requireStaff(actor);
  return db.$transaction(async (tx) => {
    const ticket = await loadTicket(tx, input.ticketId);
    return applyAction(tx, actor.id, ticket, {
      action: 'note',
      kind: 'NOTE',
      body: input.body,
      internal: true,
    });
  });
}

/**
 * Resolves the ticket with the technical answer. An unassigned ticket is assigned to the
 * technician who resolves it, so the summary names who handled it.
 */
export async function resolveTicket(
  db: Database,
  config: MailConfig,
  actor: Actor,
  input: MessageInput,
) {
  requireStaff(actor);
  return db.$transaction(async (tx) => {
    const ticket = await loadTicket(tx, input.ticketId);
    const assignee =
      ticket.assignee ?? (await tx.user.findUniqueOrThrow({ where: { id: actor.id } }));
    const event = await applyAction(tx, actor.id, ticket, {
      action: 'resolve',
      kind: 'RESOLVED',
      body: input.body,
      assignee,
    });
    await notify(tx, config, actor, ticket, {
      kind: 'ticket-resolved',
      to: ticket.requester,
      payload: { eventId: event.id },
    });
    return event;
  });
}

/** Sets impact and urgency, and so the priority given by the matrix in priority.ts. */
export async function changePriority(
  db: Database,
  actor: Actor,
  input: TicketInput & { impact: PriorityLevel; urgency: PriorityLevel },
) {
  requireStaff(actor);
  return db.$transaction(async (tx) => {
    const ticket = await loadTicket(tx, input.ticketId);
    if (ticket.impact === input.impact && ticket.urgency === input.urgency) {
      throw new WorkflowError(
        'tickets.workflow.errors.priorityUnchanged',
        'Same impact and urgency',
      );
    }
    return applyAction(tx, actor.id, ticket, {
      action: 'prioritize',
      kind: 'PRIORITY_CHANGED',
      priority: { impact: input.impact, urgency: input.urgency },
    });
  });
}

/** Adds the requester's reply, which the assignee receives by email. */
export async function replyAsRequester(
  db: DatabaseOrTransaction,
  config: MailConfig,
  actor: Actor,
  input: MessageInput,
) {
  return inTransaction(db, async (tx) => {
    const ticket = await loadTicket(tx, input.ticketId);
    requireRequester(actor, ticket);
    const event = await applyAction(tx, actor.id, ticket, {
      action: 'requesterReply',
      kind: 'COMMENT',
      body: input.body,
    });
    await notify(tx, config, actor, ticket, {
      kind: 'ticket-requester-reply',
      to: ticket.assignee,
      payload: { eventId: event.id },
    });
    return event;
  });
}

/** Records the requester's confirmation that the resolution works, which closes the ticket. */
export async function confirmResolution(db: Database, actor: Actor, input: TicketInput) {
  return db.$transaction(async (tx) => {
    const ticket = await loadTicket(tx, input.ticketId);
    requireRequester(actor, ticket);
    return applyAction(tx, actor.id, ticket, { action: 'confirm', kind: 'CLOSED' });
  });
}

/** Reopens a resolved ticket with the requester's comment, which the assignee receives. */
export async function reopenTicket(
  db: DatabaseOrTransaction,
  config: MailConfig,
  actor: Actor,
  input: MessageInput,
) {
  return inTransaction(db, async (tx) => {
    const ticket = await loadTicket(tx, input.ticketId);
    requireRequester(actor, ticket);
    const event = await applyAction(tx, actor.id, ticket, {
      action: 'reopen',
      kind: 'REOPENED',
      body: input.body,
    });
    await notify(tx, config, actor, ticket, {
      kind: 'ticket-requester-reply',
      to: ticket.assignee,
      payload: { eventId: event.id },
    });
    return event;
  });
}
