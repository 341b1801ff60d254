import { Router } from 'express';
import { z } from 'zod';
import { NotFoundError } from '../../errors.ts';
import { requireRole, requireUser } from '../../http/auth.ts';
import type { AppContext } from '../../http/context.ts';
import { flash } from '../../http/flash.ts';
import { isStaff } from '../../tickets/policy.ts';
import { discardInboundMessage, retryInboundMessage, type InboundDeps } from './ingest.ts';
import type { Translate } from '../../i18n/index.ts';
import { describeInboundReason } from './reasons.ts';
import { formatReference } from '../../tickets/reference.ts';
import { readEmail, type InboundEmail } from './read.ts';

const idParam = z.coerce
  .number()
  .int()
  .positive()
  .max(2 ** 31 - 1);

function parseId(value: unknown): number {
  const id = idParam.safeParse(value);
  if (!id.success) throw new NotFoundError(`Id ${String(value)}`);
  return id.data;
}

/** RFC 6266 header value: an ASCII fallback name and the UTF-8 name. */
function contentDisposition(fileName: string): string {
  const ascii = fileName
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

/**
 * Raw incoming emails (staff, or the requester for their own messages), attachments (users who
 * may see the ticket) and the admin page of quarantined and ignored emails.
 */
export function inboundRoutes(context: AppContext): Router {
  const { db } = context;
  const deps: InboundDeps = context;
  const router = Router();
  const adminOnly = requireRole('ADMIN');

  router.get('/inbound/:id', requireUser, async (req, res) => {
    const id = parseId(req.params.id);

    const message = await db.inboundMessage.findUnique({ where: { id } });
    const user = req.user!;
    const own = message?.sender === user.email && message.status === 'PROCESSED';
    if (!message || !(isStaff(user) || own)) throw new NotFoundError(`Inbound message ${id}`);

    const raw = Buffer.from(message.raw);
    if (req.query.format === 'eml') {
      res.type('message/rfc822');
      res.setHeader('Content-Disposition', `attachment; filename="message-${message.id}.eml"`);
      return res.send(raw);
    }
    // The whole message, quoted history included, decoded; the source stays one click away.
    const email = await readEmail(raw).catch(() => null);
    const sentAt = new Date(headerOf(email, 'date'));
    const ticket = message.ticketId
      ? await db.ticket.findUnique({ where: { id: message.ticketId } })
      : null;
    res.render('inbound/show', {
      message,
      email,
      sentAt: Number.isNaN(sentAt.getTime()) ? message.receivedAt : sentAt,
      to: headerOf(email, 'to'),
      ticketReference: ticket ? formatReference(ticket.type, ticket.number) : null,
    });
  });

  router.get('/attachments/:id', requireUser, async (req, res) => {
    const id = parseId(req.params.id);

    const attachment = await db.attachment.findUnique({
      where: { id },
      include: {
        ticket: { select: { requesterId: true } },
        event: { select: { internal: true } },
      },
    });
    const user = req.user!;
    const visible =
      attachment &&
      (isStaff(user) || (attachment.ticket.requesterId === user.id && !attachment.event?.internal));
    if (!visible) throw new NotFoundError(`Attachment ${id}`);

    res.setHeader('Content-Type', attachment.contentType);
    res.setHeader('Content-Disposition', contentDisposition(attachment.fileName));
    res.setHeader('Cache-Control', 'private, no-store');
    res.send(Buffer.from(attachment.content));
  });

  router.get('/admin/inbound', adminOnly, async (_req, res) => {
    const messages = await db.inboundMessage.findMany({
      where: { status: { in: ['QUARANTINED', 'IGNORED'] } },
      orderBy: [{ receivedAt: 'desc' }, { id: 'desc' }],
      take: 200,
      select: {
        id: true,
        sender: true,
        subject: true,
        reason: true,
        status: true,
        receivedAt: true,
      },
    });
    const t = res.locals.t as Translate;
    res.render('admin/inbound/index', {
      messages: messages.map((message) => ({
        ...message,
        reasonText: describeInboundReason(message.reason, t),
      })),
    });
  });

  router.post('/admin/inbound/:id/retry', adminOnly, async (req, res) => {
    const id = parseId(req.params.id);

    await retryInboundMessage(deps, id);
    const message = await db.inboundMessage.findUniqueOrThrow({ where: { id } });
    const applied = message.status === 'PROCESSED';
    flash(req, {
      type: applied ? 'success' : 'error',
      key: applied ? 'inbound.admin.retried' : 'inbound.admin.retryFailed',
    });
    res.redirect('/admin/inbound');
  });

  router.post('/admin/inbound/:id/discard', adminOnly, async (req, res) => {
    const id = parseId(req.params.id);

    await discardInboundMessage(db, id);
    flash(req, { type: 'success', key: 'inbound.admin.discarded' });
    res.redirect('/admin/inbound');
  });

  return router;
}

function headerOf(email: InboundEmail | null, name: string): string {
  return email?.headers.get(name)?.join(', ') ?? '';
}
