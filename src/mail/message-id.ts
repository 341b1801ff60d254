import { randomUUID } from 'node:crypto';

/** Returns a new RFC 5322 Message-ID, angle brackets included. */
export function newMessageId(domain: string, prefix = 'guichet'): string {
  return `<${prefix}.${randomUUID()}@${domain}>`;
}
