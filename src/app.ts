import { randomUUID } from 'node:crypto';
import path from 'node:path';
import express from 'express';
import helmet from 'helmet';
import passport from 'passport';
import { pinoHttp } from 'pino-http';
import { csrfSync } from 'csrf-sync';
import { adminUserRoutes } from './accounts/admin-routes.ts';
import { forgotPasswordRoutes } from './accounts/forgot-routes.ts';
import { accountRoutes } from './accounts/routes.ts';
import { categoryAdminRoutes } from './categories/routes.ts';
import { configurePassport } from './http/auth.ts';
import type { AppContext } from './http/context.ts';
import { errorHandler, notFoundHandler } from './http/errors.ts';
import { flashMiddleware } from './http/flash.ts';
import { localeMiddleware } from './http/locale.ts';
import { saveSessionBeforeRedirect, sessionMiddleware } from './http/session.ts';
import { healthRoutes } from './http/health.ts';
import { ticketRoutes } from './tickets/routes.ts';
import { ticketActionRoutes } from './tickets/action-routes.ts';
import { queueRoutes } from './tickets/queue-routes.ts';
import { inboundRoutes } from './mail/inbound/routes.ts';

const root = path.resolve(import.meta.dirname, '..');

/** Builds the Express application; start-up (src/server.ts) and tests both use it. */
export function createApp(context: AppContext): express.Express {
  const { config, logger } = context;
  const https = config.BASE_URL.startsWith('https://');
  const app = express();

  app.disable('x-powered-by');
  app.set('trust proxy', config.TRUST_PROXY);
  app.set('views', path.join(root, 'views'));
  app.set('view engine', 'ejs');

  app.use(
    pinoHttp({
      logger,
      genReqId: (req, res) => {
        const id = randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      // Query strings are left out of logs because they can carry one-time tokens.
      serializers: {
        req: (req) => ({ id: req.id, method: req.method, path: String(req.url).split('?')[0] }),
      },
      autoLogging: {
        ignore: (req) => req.url === '/healthz' || req.url?.startsWith('/static/') === true,
      },
    }),
  );
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          upgradeInsecureRequests: https ? [] : null,
        },
      },
      strictTransportSecurity: https,
    }),
  );
  app.use('/static', express.static(path.join(root, 'public'), { maxAge: '1h' }));
  // Browsers ask for /favicon.ico on their own. Handling it here, before sessions load, keeps
  // that request from taking the flash message meant for the page being loaded.
  app.get('/favicon.ico', (_req, res) => res.redirect(301, '/static/favicon.svg'));
  // Defaults for pages rendered before the session is loaded, such as a 413 error page.
  app.use(localeMiddleware(config.DEFAULT_LOCALE));
  app.use((req, res, next) => {
    res.locals.currentUser = null;
    res.locals.currentPath = req.path;
    res.locals.flash = [];
    res.locals.csrfToken = () => '';
    next();
  });
  app.use(healthRoutes(context));

  app.use(express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 100 }));
  app.use(sessionMiddleware(context));
  app.use(saveSessionBeforeRedirect);
  configurePassport(context.db);
  app.use(passport.initialize());
  app.use(passport.session());
  app.use(localeMiddleware(config.DEFAULT_LOCALE));
  app.use(flashMiddleware);

  const csrf = csrfSync({
    getTokenFromRequest: (req) => req.body?._csrf,
    // The CSV import reads its multipart body, token included, only in its route, which then
    // checks the token with app.locals.checkCsrf.
    skipCsrfProtection: (req) =>
      req.method === 'POST' &&
      req.path === '/admin/users/import' &&
      Boolean(req.is('multipart/form-data')),
  });
  const { csrfSynchronisedProtection, generateToken } = csrf;
  app.locals.checkCsrf = ((req, _res, next) => {
    next(csrf.isRequestValid(req) ? undefined : csrf.invalidCsrfTokenError);
  }) satisfies express.RequestHandler;
  app.use((req, res, next) => {
    // A function, so a session is only created for pages that contain a form.
    res.locals.csrfToken = () => generateToken(req);
    res.locals.currentUser = req.user ?? null;
    res.locals.currentPath = req.path;
    next();
  });
  app.use(csrfSynchronisedProtection);

  app.use(accountRoutes(context));
  app.use(forgotPasswordRoutes(context));
  app.use(ticketRoutes(context));
  app.use(ticketActionRoutes(context));
  app.use(queueRoutes(context));
  app.use(adminUserRoutes(context));
  app.use(categoryAdminRoutes(context));
  app.use(inboundRoutes(context));

  app.use(notFoundHandler);
  app.use(errorHandler(config.NODE_ENV === 'development'));
  return app;
}
