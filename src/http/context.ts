import type pg from 'pg';
import type { Config } from '../config.ts';
import type { Database } from '../db/client.ts';
import type { Logger } from '../logger.ts';

/** Dependencies of the web layer, built at start-up, or by tests over their own database. */
export interface AppContext {
  config: Config;
  db: Database;
  /** Pool for the session store and rate limiter, which speak SQL through pg. */
  pool: pg.Pool;
  logger: Logger;
  sessionSecret: string;
}
