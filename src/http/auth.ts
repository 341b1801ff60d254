import type { RequestHandler } from 'express';
import passport from 'passport';
import type { Database, Role, User } from '../db/client.ts';
import { ForbiddenError } from '../errors.ts';

declare global {
  namespace Express {
    // The signed-in user, as loaded from the database on each request.
    interface User {
      id: number;
      email: string;
      name: string;
      role: Role;
      locale: 'fr' | 'en';
    }
  }
}

/** Stores the user id in the session and reloads the user on each request. */
export function configurePassport(db: Database): void {
  passport.serializeUser((user, done) => done(null, user.id));
  passport.deserializeUser(async (id: unknown, done) => {
    try {
      const user = typeof id === 'number' ? await db.user.findUnique({ where: { id } }) : null;
      // A deactivated or deleted user's session ends: false makes passport drop it.
      done(null, user?.active ? toSessionUser(user) : false);
    } catch (error) {
      done(error);
    }
  });
}

export function toSessionUser(user: User): Express.User {
  return { id: user.id, email: user.email, name: user.name, role: user.role, locale: user.locale };
}

/** A same-site path to return to after sign-in, or null for anything else. */
export function safeReturnPath(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  return /^\/(?![/\\])[^\s]*$/.test(value) && value.length < 500 ? value : null;
}

/** Sends anonymous visitors to the sign-in page, remembering where they were going. */
export const requireUser: RequestHandler = (req, res, next) => {
  if (req.user) return next();
  const returnPath = req.method === 'GET' ? safeReturnPath(req.originalUrl) : null;
  res.redirect(
    returnPath && returnPath !== '/' ? `/login?next=${encodeURIComponent(returnPath)}` : '/login',
  );
};

export function requireRole(...roles: Role[]): RequestHandler {
  return (req, _res, next) => {
    if (!req.user) return requireUser(req, _res, next);
    if (!roles.includes(req.user.role)) return next(new ForbiddenError(`Role ${req.user.role}`));
    next();
  };
}
