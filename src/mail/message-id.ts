import { randomUUID } from 'node:crypto';

/** A new RFC 5322 Message-ID, angle brackets included. */
export function newMessageId(domain: string, prefix = 'guichet'): string {
  return `<${prefix}.${randomUUID()}@${domain}>`;
}
