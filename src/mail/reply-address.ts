import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Config } from '../config.ts';

type ReplyConfig = Pick<Config, 'MAIL_FROM' | 'MAIL_REPLY_SECRET'>;

/** Hex characters of the HMAC-SHA256 kept in an address: 64 bits, enough against guessing. */
const TAG_LENGTH = 16;
/** Label of the key derivation, so the reply key differs from any other use of the secret. */
const KEY_LABEL = 'guichet/reply-address/v1';

/**
 * Returns the configuration with MAIL_REPLY_SECRET set, taking the session secret when the
 * variable is unset. The key itself is derived from that secret in `replyKey`.
 */
export function withReplySecret<T extends ReplyConfig>(config: T, sessionSecret: string): T {
  return config.MAIL_REPLY_SECRET ? config : { ...config, MAIL_REPLY_SECRET: sessionSecret };
}

function replyKey(config: ReplyConfig): Buffer {
  if (!config.MAIL_REPLY_SECRET) {
    throw new Error('MAIL_REPLY_SECRET is unset: call withReplySecret() on the configuration');
  }
  return createHmac('sha256', config.MAIL_REPLY_SECRET).update(KEY_LABEL).digest();
}

function tagOf(ticketId: number, config: ReplyConfig): string {
  return createHmac('sha256', replyKey(config))
    .update(String(ticketId))
    .digest('hex')
    .slice(0, TAG_LENGTH);
}

/** Splits MAIL_FROM ("Guichet <helpdesk@example.org>" or a bare address) into its parts. */
function senderParts(config: ReplyConfig): { local: string; domain: string } {
  const match = /<?([^<>\s@]+)@([^<>\s@]+)>?\s*$/.exec(config.MAIL_FROM);
  if (!match) throw new Error(`MAIL_FROM "${config.MAIL_FROM}" contains no email address`);
  return { local: match[1], domain: match[2] };
}

/** Builds the Reply-To address of a ticket's emails: helpdesk+<ticketId>.<tag>@<domain>. */
export function replyAddress(ticketId: number, config: ReplyConfig): string {
  const { local, domain } = senderParts(config);
  return `${local}+${ticketId}.${tagOf(ticketId, config)}@${domain}`;
}

/**
 * Returns the ticket id of a reply address built by `replyAddress`, or null when the address
 * is malformed, names another mailbox or domain, or carries a tag that does not match.
 */
export function verifyReplyAddress(address: string, config: ReplyConfig): number | null {
  const match = /^<?([^<>\s@+]+)\+(\d{1,10})\.([0-9a-f]+)@([^<>\s@]+?)>?$/i.exec(address.trim());
  if (!match) return null;
  const [, local, id, tag, domain] = match;
  const sender = senderParts(config);
  if (local.toLowerCase() !== sender.local.toLowerCase()) return null;
  if (domain.toLowerCase() !== sender.domain.toLowerCase()) return null;

  const ticketId = Number(id);
  if (!Number.isSafeInteger(ticketId) || ticketId < 1) return null;
  const expected = Buffer.from(tagOf(ticketId, config));
  const received = Buffer.from(tag.toLowerCase());
  if (received.length !== expected.length || !timingSafeEqual(received, expected)) return null;
  return ticketId;
}
