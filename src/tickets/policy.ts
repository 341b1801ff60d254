import type { Prisma, User } from '../db/client.ts';

type Viewer = Pick<User, 'id' | 'role'>;

export function isStaff(user: Pick<User, 'role'>): boolean {
  return user.role === 'TECHNICIAN' || user.role === 'ADMIN';
}

/** Filter of the tickets a user may see: staff see every ticket, requesters their own. */
export function ticketVisibility(viewer: Viewer): Prisma.TicketWhereInput {
  return isStaff(viewer) ? {} : { requesterId: viewer.id };
}
