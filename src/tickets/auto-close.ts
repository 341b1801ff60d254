import type { Database } from '../db/client.ts';
import type { Logger } from '../logger.ts';
import { applyAction, loadTicket } from './actions.ts';
import { WorkflowError } from './workflow.ts';

const DAY_MS = 24 * 3600 * 1000;

/**
 * Closes the tickets resolved more than `days` days before `now` and still resolved, each in
 * its own transaction with a system event (no actor). Returns the ids of the closed tickets.
 */
export async function closeStaleResolvedTickets(
  db: Database,
  now: Date,
  days: number,
): Promise<number[]> {
  const cutoff = new Date(now.getTime() - days * DAY_MS);
  const stale = await db.ticket.findMany({
    where: { status: 'RESOLVED', resolvedAt: { lte: cutoff } },
    select: { id: true },
    orderBy: { id: 'asc' },
  });
  const closed: number[] = [];
  for (const { id } of stale) {
    try {
      await db.$transaction(async (tx) => {
        const ticket = await loadTicket(tx, id);
        await applyAction(tx, null, ticket, { action: 'autoClose', kind: 'CLOSED', now });
      });
      closed.push(id);
    } catch (error) {
      // The requester replied between the query and the update, so the ticket stays open.
      if (!(error instanceof WorkflowError)) throw error;
    }
  }
  return closed;
}

/** Runs closeStaleResolvedTickets now and then every `intervalMs`; returns a stop function. */
export function scheduleAutoClose(
  db: Database,
  options: { days: number; intervalMs: number; logger: Logger },
): () => void {
  const { days, intervalMs, logger } = options;
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      const closed = await closeStaleResolvedTickets(db, new Date(), days);
      if (closed.length > 0)
        logger.info({ ticketIds: closed, days }, 'Resolved tickets closed automatically');
    } catch (error) {
      logger.error({ err: error }, 'Automatic close of resolved tickets failed');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void run(), intervalMs);
  timer.unref();
  void run();
  return () => clearInterval(timer);
}
