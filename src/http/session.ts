import connectPgSimple from 'connect-pg-simple';
import type { RequestHandler } from 'express';
import session from 'express-session';
import type { AppContext } from './context.ts';

export const SESSION_COOKIE = 'guichet.sid';

/** Lifetime of a session whose cookie ends with the browser, counted from its last request. */
const BROWSER_SESSION_TTL_SECONDS = 12 * 3600;

/** Sessions stored in PostgreSQL (table "session"), so any instance can serve any request. */
export function sessionMiddleware({ pool, config, sessionSecret }: AppContext) {
  const PgStore = connectPgSimple(session);
  return session({
    name: SESSION_COOKIE,
    secret: sessionSecret,
    store: new PgStore({
      pool,
      tableName: 'session',
      ttl: BROWSER_SESSION_TTL_SECONDS,
      pruneSessionInterval: config.NODE_ENV === 'test' ? false : 15 * 60,
    }),
    resave: false,
    saveUninitialized: false,
    rolling: false,
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      secure: config.BASE_URL.startsWith('https://'),
      path: '/',
    },
  });
}

/**
 * Saves the session before a redirect is sent. express-session 1.19 writes the redirect's
 * status and Location before the store has saved the session, so a browser can request the
 * next page before a flash message set just before the redirect is stored.
 */
export const saveSessionBeforeRedirect: RequestHandler = (req, res, next) => {
  const redirect = res.redirect.bind(res) as (...args: unknown[]) => void;
  res.redirect = ((...args: unknown[]) => {
    if (!req.session) return redirect(...args);
    req.session.save((error) => (error ? next(error) : redirect(...args)));
  }) as typeof res.redirect;
  next();
};
