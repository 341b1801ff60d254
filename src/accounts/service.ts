import type { Config } from '../config.ts';
import type { Database, Prisma, User } from '../db/client.ts';
import type { Logger } from '../logger.ts';
import { enqueueEmail } from '../mail/outbox.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { checkToken, consumeToken, issueToken, type TokenCheck } from './tokens.ts';

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

// Verified against when the address is unknown, so both cases take the same time.
const decoyHash = hashPassword('decoy password for unknown accounts');

/** Returns the active user with these credentials, or null. */
export async function authenticate(db: Database, email: string, password: string) {
  const user = await db.user.findUnique({ where: { email: normaliseEmail(email) } });
  const matches = await verifyPassword(password, user?.passwordHash ?? (await decoyHash));
  if (!user || !user.passwordHash || !matches || !user.active) return null;
  await db.user.update({ where: { id: user.id }, data: { lastSignInAt: new Date() } });
  return user;
}

/** Ends every stored session of the user except `keepSessionId`. */
export async function endSessions(db: Database, userId: number, keepSessionId?: string) {
  return db.$executeRaw`
    DELETE FROM session
     WHERE sess -> 'passport' ->> 'user' = ${String(userId)}
       AND sid <> ${keepSessionId ?? ''}`;
}

export type PasswordChange =
  { status: 'saved'; user: User } | { status: Exclude<TokenCheck['status'], 'valid'> };

/**
 * Sets the password of the token's owner and uses the token, in one transaction. Other sessions
 * of the user end, since someone who knew the old password may still be signed in.
 */
export async function setPasswordWithToken(
  db: Database,
  token: string,
  password: string,
): Promise<PasswordChange> {
  const passwordHash = await hashPassword(password);
  const result = await db.$transaction(async (tx): Promise<PasswordChange> => {
    const check = await checkToken(tx, token);
    if (check.status !== 'valid') return check;
    const owner = await tx.user.findUnique({ where: { id: check.userId } });
    if (!owner?.active) return { status: 'invalid' };
    if (!(await consumeToken(tx, check.tokenId))) return { status: 'used' };
    const user = await tx.user.update({ where: { id: owner.id }, data: { passwordHash } });
    return { status: 'saved', user };
  });
  if (result.status === 'saved') await endSessions(db, result.user.id);
  return result;
}

/**
 * Issues a one-hour password reset link and queues the email that carries it, when the address
 * belongs to an active user; does nothing otherwise. Returns whether an email was queued.
 */
export async function requestPasswordReset(
  db: Database,
  config: Pick<Config, 'mailDomain'>,
  email: string,
): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { email: normaliseEmail(email) } });
    if (!user?.active) return false;
    const token = await issueToken(tx, user.id, 'PASSWORD_RESET');
    await enqueueEmail(tx, {
      kind: 'password-reset',
      to: user,
      payload: { token },
      mailDomain: config.mailDomain,
    });
    return true;
  });
}

export interface Invitation {
  email: string;
  name: string;
  role: User['role'];
  locale: User['locale'];
}

type Transaction = Prisma.TransactionClient;

async function createInvitedUser(
  tx: Transaction,
  config: Pick<Config, 'mailDomain'>,
  invitation: Invitation,
  inviterName: string | null,
) {
  const user = await tx.user.create({
    data: { ...invitation, email: normaliseEmail(invitation.email) },
  });
  const token = await issueToken(tx, user.id, 'INVITATION');
  await enqueueEmail(tx, {
    kind: 'invitation',
    to: user,
    payload: { token, inviterName },
    mailDomain: config.mailDomain,
  });
  return user;
}

/** Creates the user and queues an invitation email with a 7-day link, in one transaction. */
export async function inviteUser(
  db: Database,
  config: Pick<Config, 'mailDomain'>,
  invitation: Invitation,
  inviter: Pick<User, 'name'> | null,
) {
  return db.$transaction((tx) => createInvitedUser(tx, config, invitation, inviter?.name ?? null));
}

/**
 * Creates the first admin from ADMIN_EMAIL and invites them, when the database has no user yet.
 * An advisory lock keeps two instances starting together from both doing it.
 */
export async function ensureFirstAdmin(db: Database, config: Config, logger: Logger) {
  await db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('guichet.first-admin'))`;
    if ((await tx.user.count()) > 0) return;
    const invitation: Invitation = {
      email: config.ADMIN_EMAIL,
      name: config.ADMIN_NAME,
      role: 'ADMIN',
      locale: config.DEFAULT_LOCALE,
    };
    const user = await createInvitedUser(tx, config, invitation, null);
    logger.info({ userId: user.id }, 'First admin created and invited');
  });
}
