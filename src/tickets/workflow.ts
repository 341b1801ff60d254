import type { TicketStatus } from '../db/client.ts';
import { AppError } from '../errors.ts';

/** Kind of actor that performs an action: staff, the ticket's requester, or Guichet itself. */
export type ActorKind = 'staff' | 'requester' | 'system';

export interface ActionRule {
  actor: ActorKind;
  /** Status after the action, for each status the action is allowed in. */
  transitions: Partial<Record<TicketStatus, TicketStatus>>;
}

/**
 * The ticket workflow: every action, who performs it and the status it leads to from each
 * status it is allowed in. A status missing from `transitions` forbids the action there.
 */
export const WORKFLOW = {
  take: {
    actor: 'staff',
    transitions: {
      NEW: 'IN_PROGRESS',
      IN_PROGRESS: 'IN_PROGRESS',
      WAITING_FOR_USER: 'IN_PROGRESS',
    },
  },
  // Assigning a resolved ticket keeps it resolved, so the new assignee receives any reopening.
  assign: {
    actor: 'staff',
    transitions: {
      NEW: 'IN_PROGRESS',
      IN_PROGRESS: 'IN_PROGRESS',
      WAITING_FOR_USER: 'WAITING_FOR_USER',
      RESOLVED: 'RESOLVED',
    },
  },
  ask: {
    actor: 'staff',
    transitions: { NEW: 'WAITING_FOR_USER', IN_PROGRESS: 'WAITING_FOR_USER' },
  },
  reply: {
    actor: 'staff',
    transitions: {
      NEW: 'NEW',
      IN_PROGRESS: 'IN_PROGRESS',
      WAITING_FOR_USER: 'WAITING_FOR_USER',
      RESOLVED: 'RESOLVED',
    },
  },
  note: {
    actor: 'staff',
    transitions: {
      NEW: 'NEW',
      IN_PROGRESS: 'IN_PROGRESS',
      WAITING_FOR_USER: 'WAITING_FOR_USER',
      RESOLVED: 'RESOLVED',
      CLOSED: 'CLOSED',
    },
  },
  resolve: {
    actor: 'staff',
    transitions: { NEW: 'RESOLVED', IN_PROGRESS: 'RESOLVED', WAITING_FOR_USER: 'RESOLVED' },
  },
  prioritize: {
    actor: 'staff',
    transitions: {
      NEW: 'NEW',
      IN_PROGRESS: 'IN_PROGRESS',
      WAITING_FOR_USER: 'WAITING_FOR_USER',
      RESOLVED: 'RESOLVED',
    },
  },
  requesterReply: {
    actor: 'requester',
    transitions: {
      NEW: 'NEW',
      IN_PROGRESS: 'IN_PROGRESS',
      WAITING_FOR_USER: 'IN_PROGRESS',
      RESOLVED: 'IN_PROGRESS',
    },
  },
  confirm: { actor: 'requester', transitions: { RESOLVED: 'CLOSED' } },
  reopen: { actor: 'requester', transitions: { RESOLVED: 'IN_PROGRESS' } },
  autoClose: { actor: 'system', transitions: { RESOLVED: 'CLOSED' } },
} as const satisfies Record<string, ActionRule>;

export type TicketAction = keyof typeof WORKFLOW;

export const TICKET_ACTIONS = Object.keys(WORKFLOW) as TicketAction[];

/** An action refused because of the ticket's state; the route shows `messageKey` as a flash. */
export class WorkflowError extends AppError {
  constructor(messageKey: string, message: string) {
    super(409, messageKey, message);
  }
}

/** An action that the workflow forbids in the ticket's current status. */
export class TransitionError extends WorkflowError {
  constructor(
    readonly action: TicketAction,
    readonly ticketStatus: TicketStatus,
  ) {
    super(
      `tickets.workflow.errors.forbidden.${action}`,
      `Action ${action} forbidden in ${ticketStatus}`,
    );
  }
}

/**
 * The ticket changed between the moment it was read and the conditional update, for example
 * because another technician took it first.
 */
export class TicketConflictError extends WorkflowError {
  constructor(ticketId: number) {
    super('tickets.workflow.errors.conflict', `Ticket ${ticketId} changed during the action`);
  }
}

/** Returns whether the workflow allows the action in this status. */
export function isAllowed(action: TicketAction, status: TicketStatus): boolean {
  const transitions: Partial<Record<TicketStatus, TicketStatus>> = WORKFLOW[action].transitions;
  return transitions[status] !== undefined;
}

/** Returns the status after the action, or throws a TransitionError when it is forbidden. */
export function nextStatus(action: TicketAction, status: TicketStatus): TicketStatus {
  const transitions: Partial<Record<TicketStatus, TicketStatus>> = WORKFLOW[action].transitions;
  const next = transitions[status];
  if (next === undefined) throw new TransitionError(action, status);
  return next;
}
