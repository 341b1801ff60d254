import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, NotFoundError } from '../errors.ts';
import { translator } from '../i18n/index.ts';

interface HttpLikeError {
  status?: number;
  statusCode?: number;
  type?: string;
  code?: string;
}

/** Status and locale key for an error: ours, body-parser's, csrf-sync's or an unknown one. */
function describe(error: unknown): { status: number; messageKey: string } {
  if (error instanceof AppError) return { status: error.status, messageKey: error.messageKey };
  const http = (error ?? {}) as HttpLikeError;
  if (http.type === 'entity.too.large') return { status: 413, messageKey: 'errors.tooLarge' };
  if (http.code === 'EBADCSRFTOKEN') return { status: 403, messageKey: 'errors.csrf' };
  const status = http.status ?? http.statusCode;
  if (status === 404) return { status, messageKey: 'errors.notFound' };
  if (status === 403) return { status, messageKey: 'errors.forbidden' };
  if (status && status >= 400 && status < 500) return { status, messageKey: 'errors.badRequest' };
  return { status: 500, messageKey: 'errors.internal' };
}

export const notFoundHandler: RequestHandler = (_req, _res, next) => next(new NotFoundError());

/** Renders every error as a page in the user's language; stack traces appear only in logs. */
export function errorHandler(showDetails: boolean): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) return next(error);
    const { status, messageKey } = describe(error);
    if (status >= 500) req.log?.error({ err: error }, 'Request failed');
    else req.log?.info({ status, reason: (error as Error)?.message }, 'Request rejected');

    const t = res.locals.t ?? translator('fr');
    res.status(status);
    res.render(
      'errors/error',
      {
        title: t(`errors.titles.${status}`, { defaultValue: t('errors.titles.default') }),
        status,
        message: t(messageKey),
        details: showDetails && status >= 500 ? String((error as Error)?.stack ?? error) : null,
      },
      (renderError, html) => {
        if (renderError) {
          req.log?.error({ err: renderError }, 'Error page failed to render');
          res.type('text/plain').send(`${status} ${t(messageKey)}`);
          return;
        }
        res.send(html);
      },
    );
  };
}
