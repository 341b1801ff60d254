import type { RequestHandler } from 'express';

export interface FlashMessage {
  type: 'success' | 'error' | 'info';
  /** Locale key. */
  key: string;
  params?: Record<string, string | number>;
}

declare module 'express-session' {
  interface SessionData {
    flash?: FlashMessage[];
  }
}

/** Passes the messages saved for this request to the views once, and removes them from the session. */
export const flashMiddleware: RequestHandler = (req, res, next) => {
  res.locals.flash = req.session?.flash ?? [];
  if (req.session?.flash) delete req.session.flash;
  next();
};

export function flash(req: Express.Request, message: FlashMessage): void {
  if (!req.session) return;
  req.session.flash = [...(req.session.flash ?? []), message];
}
