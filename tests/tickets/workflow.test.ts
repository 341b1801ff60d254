import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TicketStatus } from '../../src/db/client.ts';
import { computePriority, PRIORITY_LEVELS } from '../../src/tickets/priority.ts';
import {
  isAllowed,
  nextStatus,
  TICKET_ACTIONS,
  TransitionError,
  WORKFLOW,
  type TicketAction,
} from '../../src/tickets/workflow.ts';

const STATUSES: TicketStatus[] = ['NEW', 'IN_PROGRESS', 'WAITING_FOR_USER', 'RESOLVED', 'CLOSED'];
const NO: null = null;

/** Expected status after each action, in the order of STATUSES; null means forbidden. */
const EXPECTED: Record<TicketAction, (TicketStatus | null)[]> = {
  take: ['IN_PROGRESS', 'IN_PROGRESS', 'IN_PROGRESS', NO, NO],
  assign: ['IN_PROGRESS', 'IN_PROGRESS', 'WAITING_FOR_USER', 'RESOLVED', NO],
  ask: ['WAITING_FOR_USER', 'WAITING_FOR_USER', NO, NO, NO],
  reply: ['NEW', 'IN_PROGRESS', 'WAITING_FOR_USER', 'RESOLVED', NO],
  note: ['NEW', 'IN_PROGRESS', 'WAITING_FOR_USER', 'RESOLVED', 'CLOSED'],
  resolve: ['RESOLVED', 'RESOLVED', 'RESOLVED', NO, NO],
  prioritize: ['NEW', 'IN_PROGRESS', 'WAITING_FOR_USER', 'RESOLVED', NO],
  requesterReply: ['NEW', 'IN_PROGRESS', 'IN_PROGRESS', 'IN_PROGRESS', NO],
  confirm: [NO, NO, NO, 'CLOSED', NO],
  reopen: [NO, NO, NO, 'IN_PROGRESS', NO],
  autoClose: [NO, NO, NO, 'CLOSED', NO],
};

describe('ticket workflow', () => {
  it('covers every action in the table', () => {
    assert.deepEqual([...TICKET_ACTIONS].sort(), Object.keys(EXPECTED).sort());
  });

  for (const action of TICKET_ACTIONS) {
    for (const [index, status] of STATUSES.entries()) {
      const expected = EXPECTED[action][index];
      if (expected === null) {
        it(`forbids ${action} from ${status}`, () => {
          assert.equal(isAllowed(action, status), false);
          assert.throws(
            () => nextStatus(action, status),
            (error) =>
              error instanceof TransitionError &&
              error.action === action &&
              error.ticketStatus === status &&
              error.messageKey === `tickets.workflow.errors.forbidden.${action}`,
          );
        });
      } else {
        it(`moves ${action} from ${status} to ${expected}`, () => {
          assert.equal(isAllowed(action, status), true);
          assert.equal(nextStatus(action, status), expected);
        });
      }
    }
  }

  it('assigns each action one kind of actor', () => {
    assert.equal(WORKFLOW.take.actor, 'staff');
    assert.equal(WORKFLOW.note.actor, 'staff');
    assert.equal(WORKFLOW.requesterReply.actor, 'requester');
    assert.equal(WORKFLOW.confirm.actor, 'requester');
    assert.equal(WORKFLOW.reopen.actor, 'requester');
    assert.equal(WORKFLOW.autoClose.actor, 'system');
  });

  it('never resolves a closed ticket', () => {
    assert.throws(() => nextStatus('resolve', 'CLOSED'), TransitionError);
  });
});

describe('priority matrix', () => {
  const expected = [
    ['HIGH', 'HIGH', 1],
    ['HIGH', 'MEDIUM', 2],
    ['HIGH', 'LOW', 3],
    ['MEDIUM', 'HIGH', 2],
    ['MEDIUM', 'MEDIUM', 3],
    ['MEDIUM', 'LOW', 4],
    ['LOW', 'HIGH', 3],
    ['LOW', 'MEDIUM', 4],
    ['LOW', 'LOW', 5],
  ] as const;

  for (const [impact, urgency, priority] of expected) {
    it(`gives ${priority} for ${impact} impact and ${urgency} urgency`, () => {
      assert.equal(computePriority(impact, urgency), priority);
    });
  }

  it('defines every pair of levels', () => {
    assert.equal(PRIORITY_LEVELS.length * PRIORITY_LEVELS.length, expected.length);
  });
});
