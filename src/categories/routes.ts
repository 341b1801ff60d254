import { Router, type Response } from 'express';
import type { Category, TicketType } from '../db/client.ts';
import { BadRequestError, InvalidInputError, NotFoundError } from '../errors.ts';
import { requireRole } from '../http/auth.ts';
import type { AppContext } from '../http/context.ts';
import { flash } from '../http/flash.ts';
import { parseForm, type FieldErrors } from '../http/forms.ts';
import { activeForm, categoryForm, categoryIdParam, moveForm, NAME_MAX_LENGTH } from './forms.ts';
import {
  categoryName,
  createCategory,
  findCategory,
  listCategoryTree,
  moveCategory,
  setCategoryActive,
  updateCategory,
} from './service.ts';

const BASE_PATH = '/admin/categories';

/** URL segment of each ticket type's page, the same as the ticket modules'. */
const MODULES = [
  { type: 'INCIDENT', path: 'incidents' },
  { type: 'REQUEST', path: 'requests' },
] as const satisfies { type: TicketType; path: string }[];

interface FormValues {
  nameFr: string;
  nameEn: string;
  parentId: string;
}

/** Returns the submitted values as strings, to show an invalid form again. */
function submittedValues(body: unknown): FormValues {
  const fields = (body ?? {}) as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  return {
    nameFr: text(fields.nameFr),
    nameEn: text(fields.nameEn),
    parentId: text(fields.parentId),
  };
}

function parseCategoryId(value: unknown): number {
  const id = categoryIdParam.safeParse(value);
  if (!id.success) throw new NotFoundError(`Category ${String(value)}`);
  return id.data;
}

/** Pages where admins add, rename, reorder, nest, deactivate and reactivate categories. */
export function categoryAdminRoutes({ db }: AppContext): Router {
  const router = Router();
  const adminOnly = requireRole('ADMIN');

  router.get(BASE_PATH, adminOnly, (_req, res) => {
    res.redirect(`${BASE_PATH}/${MODULES[0].path}`);
  });

  for (const { type, path } of MODULES) {
    const pagePath = `${BASE_PATH}/${path}`;

    router.get(pagePath, adminOnly, async (req, res) => {
      await renderTree(res, type, path, { nameFr: '', nameEn: '', parentId: '' }, {});
    });

    router.post(pagePath, adminOnly, async (req, res) => {
      const form = parseForm(categoryForm, req.body);
      const values = submittedValues(req.body);
      if (!form.success) return renderTree(res.status(400), type, path, values, form.errors);

      try {
        const category = await createCategory(db, { type, ...form.data });
        req.log.info({ categoryId: category.id, type }, 'Category created');
        flash(req, {
          type: 'success',
          key: 'admin.categories.created',
          params: { name: categoryName(category, req.locale) },
        });
        res.redirect(`${pagePath}#category-${category.id}`);
      } catch (error) {
        if (!(error instanceof InvalidInputError)) throw error;
        await renderTree(res.status(400), type, path, values, error.fields);
      }
    });

    router.get(`${pagePath}/:id/edit`, adminOnly, async (req, res) => {
      const id = parseCategoryId(req.params.id);

      const category = await findCategory(db, id, type);

      const values = {
        nameFr: category.nameFr,
        nameEn: category.nameEn,
        parentId: category.parentId === null ? '' : String(category.parentId),
      };
      await renderEdit(res, path, category, values, {});
    });

    router.post(`${pagePath}/:id`, adminOnly, async (req, res) => {
      const id = parseCategoryId(req.params.id);
      const form = parseForm(categoryForm, req.body);

      const category = await findCategory(db, id, type);
      const values = submittedValues(req.body);
      if (!form.success) return renderEdit(res.status(400), path, category, values, form.errors);

      try {
        const updated = await updateCategory(db, { id, type, ...form.data });
        req.log.info({ categoryId: id, parentId: updated.parentId }, 'Category updated');
        flash(req, {
          type: 'success',
          key: 'admin.categories.updated',
          params: { name: categoryName(updated, req.locale) },
        });
        res.redirect(`${pagePath}#category-${id}`);
      } catch (error) {
        if (!(error instanceof InvalidInputError)) throw error;
        await renderEdit(res.status(400), path, category, values, error.fields);
      }
    });

    router.post(`${pagePath}/:id/move`, adminOnly, async (req, res) => {
      const id = parseCategoryId(req.params.id);
      const form = parseForm(moveForm, req.body);
      if (!form.success) throw new BadRequestError('errors.badRequest', 'Invalid move direction');

      const moved = await moveCategory(db, { id, type, direction: form.data.direction });
      req.log.info({ categoryId: id, direction: form.data.direction, moved }, 'Category moved');

      res.redirect(`${pagePath}#category-${id}`);
    });

    router.post(`${pagePath}/:id/active`, adminOnly, async (req, res) => {
      const id = parseCategoryId(req.params.id);
      const form = parseForm(activeForm, req.body);
      if (!form.success) throw new BadRequestError('errors.badRequest', 'Invalid active flag');

      const category = await findCategory(db, id, type);
      const name = categoryName(category, req.locale);

      try {
        await setCategoryActive(db, { id, type, active: form.data.active });
        req.log.info({ categoryId: id, active: form.data.active }, 'Category activation changed');
        const key = activationMessage(category, form.data.active);
        flash(req, { type: 'success', key, params: { name } });
      } catch (error) {
        if (!(error instanceof InvalidInputError)) throw error;
        req.log.info({ categoryId: id, fields: error.fields }, 'Category reactivation rejected');
        const key = 'admin.categories.errors.reactivateNameTaken';
        flash(req, { type: 'error', key, params: { name } });
      }
      res.redirect(`${pagePath}#category-${id}`);
    });
  }

  async function renderTree(
    res: Response,
    type: TicketType,
    path: string,
    values: FormValues,
    errors: FieldErrors,
  ) {
    const tree = await listCategoryTree(db, type);
    res.render('admin/categories/index', {
      type,
      modulePath: path,
      modules: MODULES,
      tree,
      values,
      errors,
      nameMaxLength: NAME_MAX_LENGTH,
    });
  }

  async function renderEdit(
    res: Response,
    path: string,
    category: Awaited<ReturnType<typeof findCategory>>,
    values: FormValues,
    errors: FieldErrors,
  ) {
    const tree = await listCategoryTree(db, category.type);
    res.render('admin/categories/edit', {
      modulePath: path,
      category,
      parents: tree.filter((parent) => parent.id !== category.id),
      values,
      errors,
      nameMaxLength: NAME_MAX_LENGTH,
    });
  }

  return router;
}

/**
 * Returns the locale key of the message shown after a category is deactivated or reactivated.
 * Deactivating a parent also hides its children, and the message mentions it.
 */
function activationMessage(category: Category & { children: Category[] }, active: boolean) {
  if (active) return 'admin.categories.reactivated';
  return category.children.length > 0
    ? 'admin.categories.deactivatedWithChildren'
    : 'admin.categories.deactivated';
}
