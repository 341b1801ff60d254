import { z } from 'zod';
import { requiredText } from '../http/forms.ts';
import { NAME_MAX_LENGTH } from './csv-import.ts';

const role = z.enum(['REQUESTER', 'TECHNICIAN', 'ADMIN'], {
  error: 'admin.users.errors.roleMissing',
});
const locale = z.enum(['fr', 'en'], { error: 'admin.users.errors.languageMissing' });

export const inviteForm = z.object({
  email: z
    .string({ error: 'accounts.errors.emailInvalid' })
    .trim()
    .max(254, { error: 'accounts.errors.emailInvalid' })
    .pipe(z.email({ error: 'accounts.errors.emailInvalid' })),
  name: requiredText(NAME_MAX_LENGTH, {
    missing: 'admin.users.errors.nameMissing',
    tooLong: 'admin.users.errors.nameTooLong',
  }),
  role,
  locale,
});

export const userForm = z.object({ role, locale });

export const userListQuery = z.object({
  q: z.string().trim().max(200).optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(100_000).default(1).catch(1),
});

export const userIdParam = z.coerce
  .number()
  .int()
  .positive()
  .max(2 ** 31 - 1);
