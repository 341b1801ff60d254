import { z } from 'zod';
import { requiredText } from '../http/forms.ts';

export const NAME_MAX_LENGTH = 100;

const ERRORS = 'admin.categories.errors';

/** Largest value of a PostgreSQL integer column, the type of category ids. */
const MAX_ID = 2_147_483_647;

/** An empty value means "no parent", so the category is top-level. */
const parentField = z.preprocess(
  (value) => (value === '' || value === undefined ? null : value),
  z.coerce
    .number({ error: `${ERRORS}.parentNotFound` })
    .int({ error: `${ERRORS}.parentNotFound` })
    .positive({ error: `${ERRORS}.parentNotFound` })
    .max(MAX_ID, { error: `${ERRORS}.parentNotFound` })
    .nullable(),
);

/** The add form and the edit form: both names and the optional parent. */
export const categoryForm = z.object({
  nameFr: requiredText(NAME_MAX_LENGTH, {
    missing: `${ERRORS}.nameFrMissing`,
    tooLong: `${ERRORS}.nameFrTooLong`,
  }),
  nameEn: requiredText(NAME_MAX_LENGTH, {
    missing: `${ERRORS}.nameEnMissing`,
    tooLong: `${ERRORS}.nameEnTooLong`,
  }),
  parentId: parentField,
});

export const moveForm = z.object({ direction: z.enum(['up', 'down']) });

export const activeForm = z.object({
  active: z.enum(['true', 'false']).transform((value) => value === 'true'),
});

/** A category id in a URL; any other value names a page that does not exist. */
export const categoryIdParam = z.coerce.number().int().positive().max(MAX_ID);
