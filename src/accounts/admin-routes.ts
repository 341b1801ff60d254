import { Router, type Request, type RequestHandler, type Response } from 'express';
import multer from 'multer';
import type { User } from '../db/client.ts';
import { InvalidInputError, NotFoundError } from '../errors.ts';
import { requireRole } from '../http/auth.ts';
import type { AppContext } from '../http/context.ts';
import { flash } from '../http/flash.ts';
import { parseForm, type FieldErrors } from '../http/forms.ts';
import { inviteForm, userForm, userIdParam, userListQuery } from './admin-forms.ts';
import {
  deactivateUser,
  findUser,
  importUsers,
  inviteNewUser,
  listUsers,
  reactivateUser,
  resendInvitation,
  updateUser,
} from './admin-service.ts';
import { MAX_IMPORT_BYTES, MAX_IMPORT_ROWS, parseImportFile } from './csv-import.ts';

const importLimits = { megabytes: MAX_IMPORT_BYTES / (1024 * 1024), maxRows: MAX_IMPORT_ROWS };

/** Keeps the uploaded file in memory, so a file over the limit is never stored anywhere. */
const upload = multer({
  storage: multer.memoryStorage(),
  limits: { fileSize: MAX_IMPORT_BYTES, files: 1, fields: 5, parts: 6 },
}).single('file');

function parseUserId(value: string): number {
  const id = userIdParam.safeParse(value);
  if (!id.success) throw new NotFoundError(`User ${value}`);
  return id.data;
}

/** Pages where admins invite, import, list and manage users. */
export function adminUserRoutes({ db, config }: AppContext): Router {
  const router = Router();
  router.use('/admin/users', requireRole('ADMIN'));

  router.get('/admin/users', async (req, res) => {
    const query = userListQuery.parse(req.query);

    const list = await listUsers(db, { search: query.q, page: query.page });
    res.render('admin/users/list', { ...list, search: query.q ?? '' });
  });

  router.get('/admin/users/new', (req, res) => {
    renderInviteForm(res, {}, {});
  });

  router.post('/admin/users', async (req, res) => {
    const form = parseForm(inviteForm, req.body);
    if (!form.success) return renderInviteForm(res.status(400), req.body ?? {}, form.errors);

    try {
      const user = await inviteNewUser(db, config, form.data, req.user!);
      req.log.info({ actorId: req.user!.id, userId: user.id, role: user.role }, 'User invited');
      flash(req, { type: 'success', key: 'admin.users.invited', params: { email: user.email } });
      res.redirect(`/admin/users/${user.id}`);
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      renderInviteForm(res.status(400), req.body ?? {}, error.fields);
    }
  });

  router.get('/admin/users/import', (req, res) => {
    res.render('admin/users/import', { errors: {}, limits: importLimits });
  });

  router.post('/admin/users/import', receiveImportFile, checkCsrfAfterUpload, async (req, res) => {
    if (!req.file) {
      const errors = { file: 'admin.users.import.errors.missingFile' };
      return res.status(400).render('admin/users/import', { errors, limits: importLimits });
    }
    const parsed = parseImportFile(req.file.buffer);
    if (parsed.status === 'invalid') {
      req.log.info({ reason: parsed.reason }, 'User import file rejected');
      return res.status(400).render('admin/users/import', {
        errors: { file: parsed.reason },
        params: parsed.params,
        limits: importLimits,
      });
    }

    const started = Date.now();
    const outcome = await importUsers(db, config, req.user!, parsed.rows);
    req.log.info(
      {
        actorId: req.user!.id,
        created: outcome.created.length,
        existing: outcome.existing.length,
        duplicates: parsed.skipped.length,
        rejected: parsed.rejected.length,
        milliseconds: Date.now() - started,
      },
      'Users imported',
    );
    const skipped = [...outcome.existing, ...parsed.skipped].sort((a, b) => a.line - b.line);
    res.render('admin/users/import-report', {
      fileName: req.file.originalname,
      created: outcome.created,
      skipped,
      rejected: parsed.rejected,
    });
  });

  router.get('/admin/users/:id', async (req, res) => {
    const user = await findUser(db, parseUserId(req.params.id));
    renderUser(req, res, user, {});
  });

  router.post('/admin/users/:id', async (req, res) => {
    const userId = parseUserId(req.params.id);
    const form = parseForm(userForm, req.body);
    if (!form.success) {
      const user = await findUser(db, userId);
      const values = { role: String(req.body?.role ?? ''), locale: String(req.body?.locale ?? '') };
      return renderUser(req, res.status(400), user, form.errors, values);
    }

    try {
      const { before, after } = await updateUser(db, req.user!, userId, form.data);
      req.log.info(
        {
          actorId: req.user!.id,
          userId,
          before: { role: before.role, locale: before.locale },
          after: { role: after.role, locale: after.locale },
        },
        'User updated',
      );
      flash(req, { type: 'success', key: 'admin.users.updated' });
      res.redirect(`/admin/users/${userId}`);
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      renderUser(req, res.status(400), await findUser(db, userId), error.fields, form.data);
    }
  });

  router.post('/admin/users/:id/deactivate', async (req, res) => {
    const userId = parseUserId(req.params.id);

    try {
      const sessionsEnded = await deactivateUser(db, req.user!, userId);
      req.log.info({ actorId: req.user!.id, userId, sessionsEnded }, 'User deactivated');
      flash(req, { type: 'success', key: 'admin.users.deactivated' });
      res.redirect(`/admin/users/${userId}`);
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      renderUser(req, res.status(400), await findUser(db, userId), error.fields);
    }
  });

  router.post('/admin/users/:id/reactivate', async (req, res) => {
    const userId = parseUserId(req.params.id);

    await reactivateUser(db, userId);
    req.log.info({ actorId: req.user!.id, userId }, 'User reactivated');
    flash(req, { type: 'success', key: 'admin.users.reactivated' });
    res.redirect(`/admin/users/${userId}`);
  });

  router.post('/admin/users/:id/invitation', async (req, res) => {
    const userId = parseUserId(req.params.id);

    try {
      const user = await resendInvitation(db, config, req.user!, userId);
      req.log.info({ actorId: req.user!.id, userId }, 'Invitation sent again');
      const params = { email: user.email };
      flash(req, { type: 'success', key: 'admin.users.invitationSent', params });
      res.redirect(`/admin/users/${userId}`);
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      renderUser(req, res.status(400), await findUser(db, userId), error.fields);
    }
  });

  return router;
}

/**
 * Runs multer and shows its limit errors on the import form: 413 for a file over the size
 * limit, 400 for any other malformed upload.
 */
const receiveImportFile: RequestHandler = (req, res, next) => {
  upload(req, res, (error: unknown) => {
    if (!(error instanceof multer.MulterError)) return next(error);
    req.log.info({ code: error.code }, 'User import upload rejected');
    const tooLarge = error.code === 'LIMIT_FILE_SIZE';
    const key = `admin.users.import.errors.${tooLarge ? 'tooLarge' : 'upload'}`;
    res.status(tooLarge ? 413 : 400).render('admin/users/import', {
      errors: { file: key },
      params: importLimits,
      limits: importLimits,
    });
  });
};

function renderInviteForm(res: Response, values: Record<string, unknown>, errors: FieldErrors) {
  const text = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : '');
  res.render('admin/users/new', {
    values: {
      email: text('email'),
      name: text('name'),
      role: text('role') || 'REQUESTER',
      locale: text('locale') || res.locals.locale,
    },
    errors,
  });
}

function renderUser(
  req: Request,
  res: Response,
  user: User,
  errors: FieldErrors,
  values: { role: string; locale: string } = user,
) {
  res.render('admin/users/show', {
    user,
    values: { role: values.role, locale: values.locale },
    errors,
    self: user.id === req.user!.id,
  });
}

/** Checks the CSRF token of a multipart form, which only its route's body parser reads. */
const checkCsrfAfterUpload: RequestHandler = (req, res, next) => {
  (req.app.locals.checkCsrf as RequestHandler)(req, res, next);
};
