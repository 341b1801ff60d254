import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.ts';

export type Database = PrismaClient;

/** Creates a Prisma client over a pg pool. The caller owns it and ends it with $disconnect(). */
export function createDatabaseClient(connectionString: string, maxConnections = 10): Database {
  const adapter = new PrismaPg({ connectionString, max: maxConnections });
  return new PrismaClient({ adapter });
}

export * from '../generated/prisma/client.ts';
