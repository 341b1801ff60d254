import type { RequestHandler } from 'express';
import { categoryPath } from '../categories/service.ts';
import { formatDateTime, isLocale, translator, type LocaleCode } from '../i18n/index.ts';

declare global {
  namespace Express {
    interface Request {
      locale: LocaleCode;
    }
  }
}

/** Chooses the language: the signed-in user's setting, then Accept-Language, then the default. */
export function localeMiddleware(defaultLocale: LocaleCode): RequestHandler {
  return (req, res, next) => {
    const preferred = req.user?.locale ?? req.acceptsLanguages('fr', 'en');
    const locale = isLocale(preferred) ? preferred : defaultLocale;
    req.locale = locale;
    res.locals.locale = locale;
    res.locals.t = translator(locale);
    res.locals.formatDateTime = (date: Date) => formatDateTime(date, locale);
    res.locals.categoryPath = (category: Parameters<typeof categoryPath>[0]) =>
      categoryPath(category, locale);
    next();
  };
}
