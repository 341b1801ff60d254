import 'dotenv/config';
import path from 'node:path';
import { z } from 'zod';

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => ['true', '1', 'yes'].includes(value));

const port = z.coerce.number().int().min(0).max(65535);

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port.default(3000),
  BASE_URL: z.url().optional(),
  TRUST_PROXY: booleanFlag.default(false),
  DATA_DIR: z.string().min(1).default('var'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgresql://')
    .optional(),
  EMBEDDED_DB_PORT: port.default(0),
  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  ADMIN_EMAIL: z.email().default('admin@example.com'),
  ADMIN_NAME: z.string().min(1).max(100).default('Administrateur'),
  DEFAULT_LOCALE: z.enum(['fr', 'en']).default('fr'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MAIL_TRANSPORT: z.enum(['file', 'smtp']).default('file'),
  MAIL_FROM: z.string().min(3).default('Guichet <helpdesk@example.com>'),
  SMTP_HOST: z.string().optional(),
  SMTP_PORT: port.default(587),
  SMTP_SECURE: booleanFlag.default(false),
  SMTP_USER: z.string().optional(),
  SMTP_PASSWORD: z.string().optional(),
  OUTBOX_POLL_SECONDS: z.coerce.number().positive().default(10),
  OUTBOX_RETRY_BASE_SECONDS: z.coerce.number().nonnegative().default(30),
  OUTBOX_MAX_ATTEMPTS: z.coerce.number().int().min(1).default(10),
  MAIL_REPLY_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  AUTO_CLOSE_DAYS: z.coerce.number().int().min(1).default(7),
});

type RawConfig = z.infer<typeof schema>;

export type Config = Omit<RawConfig, 'BASE_URL'> & {
  BASE_URL: string;
  /** Absolute path of DATA_DIR. */
  dataDir: string;
  /** Domain part of MAIL_FROM, used in generated Message-IDs. */
  mailDomain: string;
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Validates the environment and returns the configuration, or throws a ConfigError
 * that names every invalid variable. Empty strings count as unset.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = schema.safeParse(present);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join('.')}: ${issue.message}`,
    );
    throw new ConfigError(problems);
  }
  const raw = result.data;
  const problems: string[] = [];
  if (raw.MAIL_TRANSPORT === 'smtp' && !raw.SMTP_HOST) {
    problems.push('SMTP_HOST: required when MAIL_TRANSPORT is smtp');
  }
  const mailDomain = /@([^>\s]+)>?\s*$/.exec(raw.MAIL_FROM)?.[1];
  if (!mailDomain) {
    problems.push('MAIL_FROM: must contain an address, such as "Guichet <helpdesk@example.org>"');
  }
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    ...raw,
    BASE_URL: (raw.BASE_URL ?? `http://localhost:${raw.PORT}`).replace(/\/+$/, ''),
    dataDir: path.resolve(raw.DATA_DIR),
    mailDomain: mailDomain!,
  };
}
