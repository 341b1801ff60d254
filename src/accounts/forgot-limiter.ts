import type pg from 'pg';
import { RateLimiterRes, type RateLimiterPostgres } from 'rate-limiter-flexible';
import { postgresLimiter } from '../http/rate-limit.ts';

const WINDOW_SECONDS = 3600;
const PER_ACCOUNT = 3;
const PER_ADDRESS = 20;

/**
 * Counts password reset requests in PostgreSQL: 3 per email address and 20 per client address
 * within an hour. Known and unknown addresses are counted alike, so a refusal reveals nothing.
 */
export class ForgotPasswordLimiter {
  private readonly byAccount: RateLimiterPostgres;
  private readonly byAddress: RateLimiterPostgres;

  constructor(pool: pg.Pool) {
    const window = { windowSeconds: WINDOW_SECONDS };
    this.byAccount = postgresLimiter(pool, {
      ...window,
      keyPrefix: 'forgot:account',
      points: PER_ACCOUNT,
    });
    this.byAddress = postgresLimiter(pool, {
      ...window,
      keyPrefix: 'forgot:address',
      points: PER_ADDRESS,
    });
  }

  /** Counts one request and returns the seconds to wait when it is over a limit, else 0. */
  async consume(email: string, address: string): Promise<number> {
    const results = await Promise.allSettled([
      this.byAccount.consume(email),
      this.byAddress.consume(address),
    ]);
    let retryAfter = 0;
    for (const result of results) {
      if (result.status === 'fulfilled') continue;
      if (!(result.reason instanceof RateLimiterRes)) throw result.reason;
      retryAfter = Math.max(retryAfter, Math.ceil(result.reason.msBeforeNext / 1000));
    }
    return retryAfter;
  }
}
