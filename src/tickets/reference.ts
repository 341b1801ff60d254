import type { TicketType } from '../db/client.ts';

const PREFIX: Record<TicketType, string> = { INCIDENT: 'INC', REQUEST: 'REQ' };

/** Formats a ticket reference such as INC-000123; numbers past 999999 keep all their digits. */
export function formatReference(type: TicketType, number: number): string {
  return `${PREFIX[type]}-${String(number).padStart(6, '0')}`;
}

/** Parses "INC-000123" (any case); returns null for anything else. */
export function parseReference(reference: string): { type: TicketType; number: number } | null {
  const match = /^(INC|REQ)-(\d{1,9})$/i.exec(reference.trim());
  if (!match) return null;
  const number = Number(match[2]);
  if (number < 1) return null;
  return { type: match[1].toUpperCase() === 'INC' ? 'INCIDENT' : 'REQUEST', number };
}
