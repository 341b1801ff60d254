import connectPgSimple from 'connect-pg-simple';
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
