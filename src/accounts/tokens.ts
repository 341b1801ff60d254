import { createHash, randomBytes } from 'node:crypto';
import type { Prisma, TokenPurpose } from '../db/client.ts';

type Transaction = Prisma.TransactionClient;

export const TOKEN_LIFETIME_MS: Record<TokenPurpose, number> = {
  INVITATION: 7 * 24 * 3600 * 1000,
  PASSWORD_RESET: 3600 * 1000,
};

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Creates a one-time token for the user and returns the secret, which is not stored:
 * only its SHA-256 is. Earlier unused tokens of the same purpose stop working.
 */
export async function issueToken(
  tx: Transaction,
  userId: number,
  purpose: TokenPurpose,
  now = new Date(),
): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await tx.oneTimeToken.updateMany({
    where: { userId, purpose, usedAt: null },
    data: { usedAt: now },
  });
  await tx.oneTimeToken.create({
    data: {
      userId,
      purpose,
      tokenHash: hashToken(token),
      expiresAt: new Date(now.getTime() + TOKEN_LIFETIME_MS[purpose]),
    },
  });
  return token;
}

export type TokenCheck =
  | { status: 'valid'; tokenId: number; userId: number; purpose: TokenPurpose }
  | { status: 'invalid' | 'expired' | 'used' };

/** Looks a token up without using it. */
export async function checkToken(
  tx: Transaction,
  token: string,
  now = new Date(),
): Promise<TokenCheck> {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return { status: 'invalid' };
  const row = await tx.oneTimeToken.findUnique({ where: { tokenHash: hashToken(token) } });
  if (!row) return { status: 'invalid' };
  if (row.usedAt) return { status: 'used' };
  if (row.expiresAt <= now) return { status: 'expired' };
  return { status: 'valid', tokenId: row.id, userId: row.userId, purpose: row.purpose };
}

/**
 * Marks the token used if it still is unused and returns whether this call used it,
 * so that two concurrent submissions of one link cannot both succeed.
 */
export async function consumeToken(tx: Transaction, tokenId: number, now = new Date()) {
  const { count } = await tx.oneTimeToken.updateMany({
    where: { id: tokenId, usedAt: null, expiresAt: { gt: now } },
    data: { usedAt: now },
  });
  return count === 1;
}

/**
 * Creates one token per user in a single insert and returns each user's secret. Unlike
 * issueToken it voids no earlier token, so it is for users created in the same transaction.
 * The insert is raw SQL because Prisma's createMany takes about 0.1 s per 1000 rows.
 */
export async function issueTokensForNewUsers(
  tx: Transaction,
  userIds: number[],
  purpose: TokenPurpose,
  now = new Date(),
): Promise<Map<number, string>> {
  const secrets = new Map(userIds.map((userId) => [userId, randomBytes(32).toString('base64url')]));
  if (secrets.size === 0) return secrets;
  const hashes = [...secrets.values()].map(hashToken);
  const expiresAt = new Date(now.getTime() + TOKEN_LIFETIME_MS[purpose]);
  await tx.$executeRaw`
    INSERT INTO one_time_tokens (user_id, purpose, token_hash, expires_at)
    SELECT user_id, ${purpose}::"TokenPurpose", token_hash, ${expiresAt}
      FROM unnest(${[...secrets.keys()]}::int[], ${hashes}::text[]) AS row (user_id, token_hash)`;
  return secrets;
}
