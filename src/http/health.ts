import { Router } from 'express';
import type { AppContext } from './context.ts';

/** GET /healthz returns 200 when a query on the database succeeds, 503 otherwise. */
export function healthRoutes({ db }: AppContext): Router {
  const router = Router();
  router.get('/healthz', async (req, res) => {
    try {
      await db.$queryRaw`SELECT 1`;
      res.json({ status: 'ok', database: 'ok' });
    } catch (error) {
      req.log.error({ err: error }, 'Health check: database unreachable');
      res.status(503).json({ status: 'error', database: 'unreachable' });
    }
  });
  return router;
}
