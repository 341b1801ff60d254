import type pg from 'pg';
import type { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { postgresLimiter } from '../http/rate-limit.ts';

const WINDOW_SECONDS = 15 * 60;

/**
 * Counts failed sign-ins in PostgreSQL, so the limits apply across instances: 5 failures per
 * account and 30 per client address within 15 minutes block further attempts for 15 minutes.
 */
export class LoginLimiter {
  private readonly byAccount: RateLimiterPostgres;
  private readonly byAddress: RateLimiterPostgres;

  constructor(pool: pg.Pool) {
    const window = { windowSeconds: WINDOW_SECONDS, blockSeconds: WINDOW_SECONDS };
    this.byAccount = postgresLimiter(pool, { ...window, keyPrefix: 'login:account', points: 5 });
    this.byAddress = postgresLimiter(pool, { ...window, keyPrefix: 'login:address', points: 30 });
  }

  /** Returns the seconds until the next attempt is allowed, or 0 if it is allowed now. */
  async retryAfter(email: string, address: string): Promise<number> {
    const [account, client] = await Promise.all([
      this.byAccount.get(email),
      this.byAddress.get(address),
    ]);
    return Math.max(blockedFor(account, 5), blockedFor(client, 30));
  }

  async recordFailure(email: string, address: string): Promise<void> {
    await Promise.all([this.byAccount.penalty(email, 1), this.byAddress.penalty(address, 1)]);
  }

  async recordSuccess(email: string): Promise<void> {
    await this.byAccount.delete(email);
  }
}

function blockedFor(result: RateLimiterRes | null, points: number): number {
  if (!result || result.consumedPoints < points) return 0;
  return Math.ceil(result.msBeforeNext / 1000);
}
