import { Router, type Request, type Response } from 'express';
import type { z } from 'zod';
import { ForbiddenError, InvalidInputError, NotFoundError } from '../errors.ts';
import { requireRole, requireUser } from '../http/auth.ts';
import type { AppContext } from '../http/context.ts';
import { flash } from '../http/flash.ts';
import { parseForm } from '../http/forms.ts';
import {
  addInternalNote,
  askForInformation,
  assignTicket,
  changePriority,
  confirmResolution,
  reopenTicket,
  replyAsRequester,
  replyAsStaff,
  resolveTicket,
  takeTicket,
} from './actions.ts';
import {
  answerForm,
  assignForm,
  noteForm,
  priorityForm,
  questionForm,
  reopenForm,
  replyForm,
} from './forms.ts';
import { renderTicketPage, type VisibleTicket } from './page.ts';
import { findVisibleTicket } from './service.ts';
import { WorkflowError } from './workflow.ts';

const requireStaff = requireRole('TECHNICIAN', 'ADMIN');

/**
 * POST routes of the ticket page's actions. Each redirects back to the ticket with a flash
 * message. The ticket loads before the form is validated, because an invalid form shows the
 * ticket page again with status 400.
 */
export function ticketActionRoutes({ db, config }: AppContext): Router {
  const router = Router();

  async function loadTicket(req: Request): Promise<VisibleTicket> {
    const reference = String(req.params.reference);
    const ticket = await findVisibleTicket(db, req.user!, reference);
    if (!ticket) throw new NotFoundError(`Ticket ${reference}`);
    return ticket;
  }

  function requireRequester(req: Request, ticket: VisibleTicket): void {
    if (ticket.requesterId !== req.user!.id) {
      throw new ForbiddenError(`User ${req.user!.id} is not the requester of ${ticket.reference}`);
    }
  }

  /**
   * Runs a service call and redirects to the ticket with `successKey`. A refusal due to the
   * ticket's state becomes an error flash; invalid input shows the page again.
   */
  async function perform(
    req: Request,
    res: Response,
    ticket: VisibleTicket,
    successKey: string,
    action: () => Promise<unknown>,
  ) {
    try {
      await action();
    } catch (error) {
      if (error instanceof InvalidInputError) {
        const errors = error.fields;
        return renderTicketPage(db, req.user!, res.status(400), ticket, {
          values: req.body,
          errors,
        });
      }
      if (!(error instanceof WorkflowError)) throw error;
      req.log.info({ ticketId: ticket.id, reason: error.message }, 'Ticket action rejected');
      flash(req, { type: 'error', key: error.messageKey, params: { reference: ticket.reference } });
      return res.redirect(`/tickets/${ticket.reference}`);
    }
    req.log.info({ ticketId: ticket.id, path: req.path }, 'Ticket action performed');
    flash(req, { type: 'success', key: successKey, params: { reference: ticket.reference } });
    res.redirect(`/tickets/${ticket.reference}`);
  }

  /** Validates a form and shows the ticket page again with status 400 when it is invalid. */
  async function validate<T extends z.ZodType>(
    req: Request,
    res: Response,
    ticket: VisibleTicket,
    schema: T,
  ): Promise<z.infer<T> | null> {
    const form = parseForm(schema, req.body);
    if (form.success) return form.data;
    await renderTicketPage(db, req.user!, res.status(400), ticket, {
      values: req.body,
      errors: form.errors,
    });
    return null;
  }

  router.post('/tickets/:reference/take', requireStaff, async (req, res) => {
    const ticket = await loadTicket(req);

    await perform(req, res, ticket, 'tickets.workflow.done.take', () =>
      takeTicket(db, config, req.user!, { ticketId: ticket.id }),
    );
  });

  router.post('/tickets/:reference/assign', requireStaff, async (req, res) => {
    const ticket = await loadTicket(req);

    const form = await validate(req, res, ticket, assignForm);
    if (!form) return;

    await perform(req, res, ticket, 'tickets.workflow.done.assign', () =>
      assignTicket(db, config, req.user!, { ticketId: ticket.id, assigneeId: form.assigneeId }),
    );
  });

  router.post('/tickets/:reference/ask', requireStaff, async (req, res) => {
    const ticket = await loadTicket(req);

    const form = await validate(req, res, ticket, questionForm);
    if (!form) return;

    await perform(req, res, ticket, 'tickets.workflow.done.ask', () =>
      askForInformation(db, config, req.user!, { ticketId: ticket.id, body: form.question }),
    );
  });

  // Both sides reply here: the ticket's requester as requester, other staff as technicians.
  router.post('/tickets/:reference/reply', requireUser, async (req, res) => {
    const ticket = await loadTicket(req);

    const form = await validate(req, res, ticket, replyForm);
    if (!form) return;

    const input = { ticketId: ticket.id, body: form.message };
    if (ticket.requesterId === req.user!.id) {
      await perform(req, res, ticket, 'tickets.workflow.done.requesterReply', () =>
        replyAsRequester(db, config, req.user!, input),
      );
    } else {
      await perform(req, res, ticket, 'tickets.workflow.done.reply', () =>
        replyAsStaff(db, config, req.user!, input),
      );
    }
  });

  router.post('/tickets/:reference/note', requireStaff, async (req, res) => {
    const ticket = await loadTicket(req);

    const form = await validate(req, res, ticket, noteForm);
    if (!form) return;

    await perform(req, res, ticket, 'tickets.workflow.done.note', () =>
      addInternalNote(db, req.user!, { ticketId: ticket.id, body: form.note }),
    );
  });

  router.post('/tickets/:reference/resolve', requireStaff, async (req, res) => {
    const ticket = await loadTicket(req);

    const form = await validate(req, res, ticket, answerForm);
    if (!form) return;

    await perform(req, res, ticket, 'tickets.workflow.done.resolve', () =>
      resolveTicket(db, config, req.user!, { ticketId: ticket.id, body: form.answer }),
    );
  });

  router.post('/tickets/:reference/priority', requireStaff, async (req, res) => {
    const ticket = await loadTicket(req);

    const form = await validate(req, res, ticket, priorityForm);
    if (!form) return;

    await perform(req, res, ticket, 'tickets.workflow.done.priority', () =>
      changePriority(db, req.user!, { ticketId: ticket.id, ...form }),
    );
  });

  router.post('/tickets/:reference/confirm', requireUser, async (req, res) => {
    const ticket = await loadTicket(req);

    requireRequester(req, ticket);

    await perform(req, res, ticket, 'tickets.workflow.done.confirm', () =>
      confirmResolution(db, req.user!, { ticketId: ticket.id }),
    );
  });

  router.post('/tickets/:reference/reopen', requireUser, async (req, res) => {
    const ticket = await loadTicket(req);

    requireRequester(req, ticket);
    const form = await validate(req, res, ticket, reopenForm);
    if (!form) return;

    await perform(req, res, ticket, 'tickets.workflow.done.reopen', () =>
      reopenTicket(db, config, req.user!, { ticketId: ticket.id, body: form.comment }),
    );
  });

  return router;
}
