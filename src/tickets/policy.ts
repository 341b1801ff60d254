import type { Prisma, Ticket, User } from '../db/client.ts';
import { isAllowed } from './workflow.ts';

type Viewer = Pick<User, 'id' | 'role'>;

export function isStaff(user: Pick<User, 'role'>): boolean {
  return user.role === 'TECHNICIAN' || user.role === 'ADMIN';
}

/** Filter of the tickets a user may see: staff see every ticket, requesters their own. */
export function ticketVisibility(viewer: Viewer): Prisma.TicketWhereInput {
  return isStaff(viewer) ? {} : { requesterId: viewer.id };
}

/** Forms of the ticket page, each shown only to viewers allowed to use it in this status. */
export interface TicketPermissions {
  take: boolean;
  assign: boolean;
  ask: boolean;
  reply: boolean;
  note: boolean;
  resolve: boolean;
  prioritize: boolean;
  requesterReply: boolean;
  confirm: boolean;
  reopen: boolean;
}

/**
 * Actions the viewer may perform on the ticket now. The ticket's requester uses the requester
 * actions even when they are staff, so a technician's own ticket has one reply form.
 */
export function ticketPermissions(
  viewer: Viewer,
  ticket: Pick<Ticket, 'status' | 'requesterId' | 'assigneeId'>,
): TicketPermissions {
  const staff = isStaff(viewer);
  const owner = ticket.requesterId === viewer.id;
  const status = ticket.status;
  return {
    // Taking is for unassigned tickets; a handled ticket changes hands with "assign".
    take: staff && isAllowed('take', status) && ticket.assigneeId === null,
    assign: staff && isAllowed('assign', status),
    ask: staff && !owner && isAllowed('ask', status),
    reply: staff && !owner && isAllowed('reply', status),
    note: staff && isAllowed('note', status),
    resolve: staff && isAllowed('resolve', status),
    prioritize: staff && isAllowed('prioritize', status),
    requesterReply: owner && isAllowed('requesterReply', status),
    confirm: owner && isAllowed('confirm', status),
    reopen: owner && isAllowed('reopen', status),
  };
}
