import type pg from 'pg';
import { RateLimiterPostgres } from 'rate-limiter-flexible';

/**
 * Creates a rate limiter that counts in the `rate_limits` table, which a migration creates, so
 * that the limits apply across all instances of Guichet.
 */
export function postgresLimiter(
  pool: pg.Pool,
  options: { keyPrefix: string; points: number; windowSeconds: number; blockSeconds?: number },
): RateLimiterPostgres {
  return new RateLimiterPostgres({
    storeClient: pool,
    tableName: 'rate_limits',
    tableCreated: true,
    clearExpiredByTimeout: false,
    keyPrefix: options.keyPrefix,
    points: options.points,
    duration: options.windowSeconds,
    blockDuration: options.blockSeconds,
  });
}
