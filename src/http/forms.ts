import { z } from 'zod';

export type FieldErrors = Record<string, string>;

/**
 * Validates a form body. On failure returns, for each invalid field, the first issue's message,
 * which the schemas set to a locale key.
 */
export function parseForm<T extends z.ZodType>(
  schema: T,
  body: unknown,
): { success: true; data: z.infer<T> } | { success: false; errors: FieldErrors } {
  const result = schema.safeParse(body ?? {});
  if (result.success) return { success: true, data: result.data };
  const errors: FieldErrors = {};
  for (const issue of result.error.issues) {
    const field = String(issue.path[0] ?? '_form');
    errors[field] ??= issue.message;
  }
  return { success: false, errors };
}

/** Builds a required, trimmed text field; `keys` are the locale keys of its error messages. */
export function requiredText(max: number, keys: { missing: string; tooLong: string }) {
  return z
    .string({ error: keys.missing })
    .trim()
    .min(1, { error: keys.missing })
    .max(max, { error: keys.tooLong });
}
