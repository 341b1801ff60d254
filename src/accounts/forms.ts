import { z } from 'zod';

export const PASSWORD_MIN_LENGTH = 10;

export const signInForm = z.object({
  email: z
    .string({ error: 'accounts.errors.emailInvalid' })
    .trim()
    .max(254)
    .pipe(z.email({ error: 'accounts.errors.emailInvalid' })),
  password: z
    .string({ error: 'accounts.errors.passwordMissing' })
    .min(1, { error: 'accounts.errors.passwordMissing' })
    .max(1000, { error: 'accounts.errors.passwordMissing' }),
  remember: z.literal('on').optional(),
  next: z.string().optional(),
});

export const passwordForm = z
  .object({
    token: z.string({ error: 'accounts.errors.linkInvalid' }).min(1).max(200),
    password: z
      .string({ error: 'accounts.errors.passwordTooShort' })
      .min(PASSWORD_MIN_LENGTH, { error: 'accounts.errors.passwordTooShort' })
      .max(200, { error: 'accounts.errors.passwordTooLong' }),
    confirmation: z.string({ error: 'accounts.errors.confirmationMismatch' }),
  })
  .refine((form) => form.password === form.confirmation, {
    path: ['confirmation'],
    error: 'accounts.errors.confirmationMismatch',
  });

export const forgotPasswordForm = z.object({
  email: z
    .string({ error: 'accounts.errors.emailInvalid' })
    .trim()
    .max(254)
    .pipe(z.email({ error: 'accounts.errors.emailInvalid' })),
});
