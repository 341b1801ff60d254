import type { PriorityLevel } from '../db/client.ts';

export const PRIORITY_LEVELS = ['HIGH', 'MEDIUM', 'LOW'] as const satisfies PriorityLevel[];

/** Priorities from 1 (critical) to 5 (planning); the locale labels them tickets.priority.names. */
export type Priority = 1 | 2 | 3 | 4 | 5;

/**
 * Priority of a ticket by impact (rows) and urgency (columns), as in the ITIL priority matrix:
 * the sum of both levels decides, so high impact with low urgency equals low impact with high
 * urgency.
 */
export const PRIORITY_MATRIX: Record<PriorityLevel, Record<PriorityLevel, Priority>> = {
  HIGH: { HIGH: 1, MEDIUM: 2, LOW: 3 },
  MEDIUM: { HIGH: 2, MEDIUM: 3, LOW: 4 },
  LOW: { HIGH: 3, MEDIUM: 4, LOW: 5 },
};

export function computePriority(impact: PriorityLevel, urgency: PriorityLevel): Priority {
  return PRIORITY_MATRIX[impact][urgency];
}
