import { createHash } from 'node:crypto';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { replaceWindows1252Controls } from '../../accounts/csv-import.ts';

/** Parts of an incoming email that processing uses, read from its raw bytes. */
export interface InboundEmail {
  messageId: string | null;
  /** Lower-cased address of the From header. */
  sender: string;
  senderName: string;
  subject: string;
  /** Addresses of To, Cc, Delivered-To and X-Original-To, lower-cased. */
  recipients: string[];
  /** Message-IDs of In-Reply-To and References, with their angle brackets. */
  references: string[];
  text: string;
  /** Header names lower-cased, each with its unfolded values. */
  headers: Map<string, string[]>;
  contentType: string;
  attachments: { fileName: string | undefined; content: Buffer }[];
}

/** An email that cannot be read. Its message gives the reason, in English, for the admin page. */
export class UnreadableEmailError extends Error {}

/** Returns the key that makes storing idempotent: the Message-ID, or the SHA-256 of the bytes. */
export function messageKeyOf(raw: Buffer): string {
  const end = raw.indexOf('\r\n\r\n') >= 0 ? raw.indexOf('\r\n\r\n') : raw.indexOf('\n\n');
  const head = raw.subarray(0, end >= 0 ? end : Math.min(raw.length, 64 * 1024)).toString('latin1');
  const match = /^message-id:[ \t]*((?:.|\r?\n[ \t])*)/im.exec(head);
  const value = match?.[1].replace(/\r?\n[ \t]+/g, ' ').trim();
  if (value && value.length <= 500) return value;
  return `sha256:${createHash('sha256').update(raw).digest('hex')}`;
}

/** Unfolded header lines of the message's top-level header section. */
function rawHeaders(parsed: ParsedMail): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  for (const { key, line } of parsed.headerLines) {
    const value = line
      .slice(line.indexOf(':') + 1)
      .replace(/\r?\n[ \t]+/g, ' ')
      .trim();
    headers.set(key.toLowerCase(), [...(headers.get(key.toLowerCase()) ?? []), value]);
  }
  return headers;
}

function addressesOf(field: AddressObject | AddressObject[] | undefined): string[] {
  const objects = field === undefined ? [] : Array.isArray(field) ? field : [field];
  const addresses: string[] = [];
  const visit = (entries: AddressObject['value']) => {
    for (const entry of entries) {
      if (entry.address) addresses.push(entry.address.toLowerCase());
      if (entry.group) visit(entry.group);
    }
  };
  for (const object of objects) visit(object.value);
  return addresses;
}

function messageIdsOf(value: string | string[] | undefined): string[] {
  const values = value === undefined ? [] : Array.isArray(value) ? value : [value];
  return values.flatMap((entry) => entry.match(/<[^<>\s]+>/g) ?? []);
}

/**
 * Parses an email with mailparser. Text parts labelled ISO-8859-1 that hold bytes 0x80 to 0x9F
 * are Windows-1252 in practice, and those characters are mapped accordingly; HTML-only messages
 * get mailparser's text rendering.
 */
export async function readEmail(raw: Buffer): Promise<InboundEmail> {
  let parsed: ParsedMail;
  try {
    parsed = await simpleParser(raw, { skipImageLinks: true });
  } catch (error) {
    throw new UnreadableEmailError(`unreadable message: ${(error as Error).message}`);
  }
  const headers = rawHeaders(parsed);
  const from = parsed.from?.value[0];
  if (headers.size === 0 || !from?.address || !/^[^@\s]+@[^@\s]+$/.test(from.address)) {
    throw new UnreadableEmailError('malformed message: no sender address in From');
  }
  const recipients = [
    ...addressesOf(parsed.to),
    ...addressesOf(parsed.cc),
    ...(headers.get('delivered-to') ?? []),
    ...(headers.get('x-original-to') ?? []),
  ].map((address) => address.replace(/^<|>$/g, '').trim().toLowerCase());
  const contentType = parsed.headers.get('content-type') as { value?: string } | undefined;

  return {
    messageId: parsed.messageId ?? null,
    sender: from.address.toLowerCase(),
    senderName: from.name?.trim() ?? '',
    subject: replaceWindows1252Controls(parsed.subject ?? '').trim(),
    recipients,
    references: [...messageIdsOf(parsed.inReplyTo), ...messageIdsOf(parsed.references)],
    text: replaceWindows1252Controls(parsed.text ?? '').replace(/\r\n?/g, '\n'),
    headers,
    contentType: contentType?.value?.toLowerCase() ?? 'text/plain',
    attachments: parsed.attachments
      .filter((attachment) => !attachment.related)
      .map((attachment) => ({ fileName: attachment.filename, content: attachment.content })),
  };
}

/**
 * Returns why an email is an automatic message (auto-reply, out-of-office, bounce, delivery
 * report or list mail), or null when a person wrote it.
 */
export function automaticReason(email: InboundEmail): string | null {
  const first = (name: string) => email.headers.get(name)?.[0]?.trim().toLowerCase();
  const autoSubmitted = first('auto-submitted');
  if (autoSubmitted && autoSubmitted !== 'no') {
    return `automatic message (Auto-Submitted: ${autoSubmitted})`;
  }
  if (email.headers.has('x-autoreply')) return 'automatic message (X-Autoreply)';
  if (email.headers.has('x-autorespond')) return 'automatic message (X-Autorespond)';
  const precedence = first('precedence');
  if (precedence && ['bulk', 'junk', 'list'].includes(precedence)) {
    return `automatic message (Precedence: ${precedence})`;
  }
  if (email.headers.has('x-auto-response-suppress')) {
    return 'automatic message (X-Auto-Response-Suppress)';
  }
  if (email.contentType === 'multipart/report') return 'delivery report (multipart/report)';
  const returnPath = email.headers.get('return-path');
  if (returnPath && returnPath.some((value) => value.replace(/[<>\s]/g, '') === '')) {
    return 'bounce (empty Return-Path)';
  }
  if (/^(mailer-daemon|postmaster)@/.test(email.sender)) return `bounce (sender ${email.sender})`;
  return null;
}
