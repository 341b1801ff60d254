import path from 'node:path';
import ejs from 'ejs';
import type { SendMailOptions } from 'nodemailer';
import type { OutboundEmail } from '../db/client.ts';
import { translator, formatDateTime } from '../i18n/index.ts';
import { emailModules } from './emails/index.ts';
import { replyAddress } from './reply-address.ts';
import type { EmailContext } from './emails/types.ts';

const templateDir = path.resolve(import.meta.dirname, '../../views/emails');

export class UnknownEmailKindError extends Error {
  constructor(kind: string) {
    super(`No email module renders emails of kind "${kind}"`);
  }
}

/**
 * Renders an outbox row into a message for Nodemailer: text and HTML parts, threading headers and,
 * for a ticket's emails, the signed Reply-To address of the ticket.
 */
export async function renderEmail(
  email: OutboundEmail,
  context: Omit<EmailContext, 'locale' | 't'>,
): Promise<SendMailOptions> {
  const module = emailModules.get(email.kind);
  if (!module) throw new UnknownEmailKindError(email.kind);
  const locale = email.locale;
  const t = translator(locale);
  const content = await module.build(email, { ...context, locale, t });
  const locals = {
    ...content.data,
    t,
    locale,
    formatDateTime: (date: Date) => formatDateTime(date, locale),
    productName: t('app.name'),
  };
  const [html, text] = await Promise.all([
    ejs.renderFile(path.join(templateDir, `${content.template}.html.ejs`), locals, {
      async: false,
    }),
    ejs.renderFile(path.join(templateDir, `${content.template}.text.ejs`), locals, {
      async: false,
      escape: (value: unknown) => String(value ?? ''),
    }),
  ]);

  const headers: Record<string, string> = { 'Auto-Submitted': 'auto-generated' };
  const ticketHeaders: Pick<SendMailOptions, 'inReplyTo' | 'references' | 'replyTo'> = {};
  if (email.ticketId) {
    ticketHeaders.replyTo = replyAddress(email.ticketId, context.config);
    const ticket = await context.db.ticket.findUnique({
      where: { id: email.ticketId },
      select: { messageId: true },
    });
    if (ticket && ticket.messageId !== email.messageId) {
      ticketHeaders.inReplyTo = ticket.messageId;
      ticketHeaders.references = [ticket.messageId];
    }
  }
  return {
    from: context.config.MAIL_FROM,
    to: email.toAddress,
    subject: content.subject,
    text,
    html,
    messageId: email.messageId,
    headers,
    ...ticketHeaders,
  };
}
