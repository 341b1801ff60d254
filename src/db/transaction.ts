import type { Database, Prisma } from './client.ts';

/** A client, or the transaction of a caller that makes a service part of a larger change. */
export type DatabaseOrTransaction = Database | Prisma.TransactionClient;

/** Runs `work` in a new transaction, or in the caller's transaction when given one. */
export function inTransaction<T>(
  db: DatabaseOrTransaction,
  work: (tx: Prisma.TransactionClient) => Promise<T>,
): Promise<T> {
  return '$transaction' in db ? db.$transaction(work) : work(db);
}
