import { Router } from 'express';
import type { AppContext } from '../http/context.ts';
import { safeReturnPath, toSessionUser } from '../http/auth.ts';
import { parseForm } from '../http/forms.ts';
import { SESSION_COOKIE } from '../http/session.ts';
import { passwordForm, signInForm, PASSWORD_MIN_LENGTH } from './forms.ts';
import { LoginLimiter } from './login-limiter.ts';
import { authenticate, normaliseEmail, setPasswordWithToken } from './service.ts';
import { checkToken } from './tokens.ts';

const REMEMBER_ME_MS = 30 * 24 * 3600 * 1000;

export function accountRoutes({ db, pool }: AppContext): Router {
  const router = Router();
  const limiter = new LoginLimiter(pool);

  router.get('/login', (req, res) => {
    if (req.user) return res.redirect('/');
    res.render('accounts/login', {
      values: { email: '', next: safeReturnPath(req.query.next) ?? '' },
      errors: {},
      signedOut: req.query.signedOut === '1',
    });
  });

  router.post('/login', async (req, res, next) => {
    const form = parseForm(signInForm, req.body);
    const values = {
      email: typeof req.body?.email === 'string' ? req.body.email.slice(0, 254) : '',
      next: safeReturnPath(req.body?.next) ?? '',
      remember: req.body?.remember === 'on',
    };
    if (!form.success) {
      return res.status(400).render('accounts/login', { values, errors: form.errors });
    }

    const email = normaliseEmail(form.data.email);
    const address = req.ip ?? 'unknown';
    const retryAfter = await limiter.retryAfter(email, address);
    if (retryAfter > 0) {
      req.log.warn({ retryAfter }, 'Sign-in blocked by rate limit');
      res.setHeader('Retry-After', String(retryAfter));
      return res.status(429).render('accounts/login', {
        values,
        errors: { _form: 'accounts.errors.tooManyAttempts' },
        minutes: Math.ceil(retryAfter / 60),
      });
    }

    const user = await authenticate(db, email, form.data.password);
    if (!user) {
      await limiter.recordFailure(email, address);
      req.log.info('Sign-in failed');
      return res.status(401).render('accounts/login', {
        values,
        errors: { _form: 'accounts.errors.invalidCredentials' },
      });
    }

    await limiter.recordSuccess(email);
    // req.login regenerates the session, so an identifier set before sign-in is worthless.
    req.login(toSessionUser(user), (error) => {
      if (error) return next(error);
      if (form.data.remember) req.session.cookie.maxAge = REMEMBER_ME_MS;
      else req.session.cookie.expires = undefined;
      req.log.info({ userId: user.id, remember: Boolean(form.data.remember) }, 'Signed in');
      res.redirect(safeReturnPath(form.data.next) ?? '/');
    });
  });

  router.post('/logout', (req, res, next) => {
    const userId = req.user?.id;
    req.logout((logoutError) => {
      if (logoutError) return next(logoutError);
      req.session.destroy((destroyError) => {
        if (destroyError) return next(destroyError);
        res.clearCookie(SESSION_COOKIE, { path: '/' });
        req.log.info({ userId }, 'Signed out');
        res.redirect('/login?signedOut=1');
      });
    });
  });

  router.get('/password/reset', async (req, res) => {
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    const check = await checkToken(db, token);
    if (check.status !== 'valid') {
      return res.status(400).render('accounts/link-invalid', { reason: check.status });
    }
    res.render('accounts/password', { token, errors: {}, minLength: PASSWORD_MIN_LENGTH });
  });

  router.post('/password/reset', async (req, res) => {
    const token = typeof req.body?.token === 'string' ? req.body.token.slice(0, 200) : '';
    const form = parseForm(passwordForm, req.body);
    if (!form.success) {
      return res.status(400).render('accounts/password', {
        token,
        errors: form.errors,
        minLength: PASSWORD_MIN_LENGTH,
      });
    }
    const result = await setPasswordWithToken(db, form.data.token, form.data.password);
    if (result.status !== 'saved') {
      return res.status(400).render('accounts/link-invalid', { reason: result.status });
    }
    req.log.info({ userId: result.user.id }, 'Password set');
    res.render('accounts/password-saved', { email: result.user.email });
  });

  return router;
}
