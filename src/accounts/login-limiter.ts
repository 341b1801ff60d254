import type pg from 'pg';
import { RateLimiterPostgres, type RateLimiterRes } from 'rate-limiter-flexible';

const WINDOW_SECONDS = 15 * 60;

/**
 * Counts failed sign-ins in PostgreSQL, so the limits hold across instances: 5 failures per
 * account and 30 per client address within 15 minutes block further attempts for 15 minutes.
 */
export class LoginLimiter {
  private readonly byAccount: RateLimiterPostgres;
  private readonly byAddress: RateLimiterPostgres;

  constructor(pool: pg.Pool) {
    const common = {
      storeClient: pool,
      tableName: 'rate_limits',
      tableCreated: true,
      clearExpiredByTimeout: false,
      duration: WINDOW_SECONDS,
      blockDuration: WINDOW_SECONDS,
    };
    this.byAccount = new RateLimiterPostgres({ ...common, keyPrefix: 'login:account', points: 5 });
    this.byAddress = new RateLimiterPostgres({ ...common, keyPrefix: 'login:address', points: 30 });
  }

  /** Seconds until the next attempt is allowed, or 0 if it is allowed now. */
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
