import { Router } from 'express';
import type { AppContext } from '../http/context.ts';
import { parseForm } from '../http/forms.ts';
import { ForgotPasswordLimiter } from './forgot-limiter.ts';
import { forgotPasswordForm } from './forms.ts';
import { normaliseEmail, requestPasswordReset } from './service.ts';

const pendingRequests = new Set<Promise<void>>();

/** Resolves once every password reset request accepted so far has been processed. */
export async function settlePasswordResetRequests(): Promise<void> {
  await Promise.allSettled([...pendingRequests]);
}

/**
 * Builds the "forgot password" routes. The response is the same page whether the address
 * exists or not, and is sent before the token and email are written, so its timing reveals
 * nothing either.
 */
export function forgotPasswordRoutes({ db, pool, config, logger }: AppContext): Router {
  const router = Router();
  const limiter = new ForgotPasswordLimiter(pool);

  router.get('/password/forgot', (req, res) => {
    res.render('accounts/forgot', { values: { email: '' }, errors: {} });
  });

  router.post('/password/forgot', async (req, res) => {
    const form = parseForm(forgotPasswordForm, req.body);
    const typed = typeof req.body?.email === 'string' ? req.body.email.slice(0, 254) : '';
    const values = { email: typed };
    if (!form.success) {
      return res.status(400).render('accounts/forgot', { values, errors: form.errors });
    }

    const email = normaliseEmail(form.data.email);
    const retryAfter = await limiter.consume(email, req.ip ?? 'unknown');
    if (retryAfter > 0) {
      req.log.warn({ retryAfter }, 'Password reset request blocked by rate limit');
      res.setHeader('Retry-After', String(retryAfter));
      return res.status(429).render('accounts/forgot', {
        values,
        errors: { _form: 'accounts.forgot.tooManyRequests' },
        minutes: Math.ceil(retryAfter / 60),
      });
    }

    const requestId = req.id;
    const work = requestPasswordReset(db, config, email)
      .then((queued) => logger.info({ requestId, queued }, 'Password reset request processed'))
      .catch((error: unknown) => {
        logger.error({ err: error, requestId }, 'Password reset request failed');
      })
      .finally(() => pendingRequests.delete(work));
    pendingRequests.add(work);
    res.render('accounts/forgot-sent', { email });
  });

  return router;
}
