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
  INBOUND_ALLOW_UNKNOWN_SENDERS: booleanFlag.default(false),
  INBOUND_MAX_PER_HOUR: z.coerce.number().int().min(1).default(30),
  INBOUND_MAX_ATTACHMENT_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(10 * 1024 * 1024),
  INBOUND_CATEGORY_ID: z.coerce.number().int().min(1).optional(),
  INBOUND_RETRY_SECONDS: z.coerce.number().positive().default(60),
  INBOUND_SMTP_HOST: z.string().min(1).default('127.0.0.1'),
  INBOUND_SMTP_PORT: port.optional(),
  INBOUND_DOMAINS: z.string().optional(),
  INBOUND_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(25 * 1024 * 1024),
  INBOUND_SMTP_TLS_CERT: z.string().optional(),
  INBOUND_SMTP_TLS_KEY: z.string().optional(),
  IMAP_HOST: z.string().optional(),
  IMAP_PORT: port.default(993),
  IMAP_SECURE: booleanFlag.default(true),
  IMAP_USER: z.string().optional(),
  IMAP_PASSWORD: z.string().optional(),
  IMAP_MAILBOX: z.string().min(1).default('INBOX'),
  IMAP_PROCESSED_MAILBOX: z.string().optional(),
  IMAP_POLL_SECONDS: z.coerce.number().positive().default(60),
});

type RawConfig = z.infer<typeof schema>;

export type Config = Omit<RawConfig, 'BASE_URL'> & {
  BASE_URL: string;
  /** Absolute path of DATA_DIR. */
  dataDir: string;
  /** Domain part of MAIL_FROM, used in generated Message-IDs. */
  mailDomain: string;
  /** Lower-case domains that inbound SMTP accepts mail for: INBOUND_DOMAINS or mailDomain. */
  inboundDomains: string[];
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
  problems.push(...inboundProblems(raw));
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    ...raw,
    BASE_URL: (raw.BASE_URL ?? `http://localhost:${raw.PORT}`).replace(/\/+$/, ''),
    dataDir: path.resolve(raw.DATA_DIR),
    mailDomain: mailDomain!,
    inboundDomains: raw.INBOUND_DOMAINS
      ? splitDomains(raw.INBOUND_DOMAINS)
      : [mailDomain!.toLowerCase()],
  };
}

function splitDomains(list: string): string[] {
  return list
    .split(',')
    .map((domain) => domain.trim().toLowerCase())
    .filter((domain) => domain !== '');
}

function inboundProblems(raw: RawConfig): string[] {
  const problems: string[] = [];
  if (raw.INBOUND_DOMAINS !== undefined) {
    const invalid = splitDomains(raw.INBOUND_DOMAINS).filter(
      (domain) => !/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(domain),
    );
    if (invalid.length > 0 || splitDomains(raw.INBOUND_DOMAINS).length === 0) {
      problems.push(
        `INBOUND_DOMAINS: must be a comma-separated list of domains, such as ` +
          `"example.org,support.example.org" (invalid: ${invalid.join(', ') || 'empty list'})`,
      );
    }
  }
  if (Boolean(raw.INBOUND_SMTP_TLS_CERT) !== Boolean(raw.INBOUND_SMTP_TLS_KEY)) {
    problems.push('INBOUND_SMTP_TLS_CERT, INBOUND_SMTP_TLS_KEY: set both or neither');
  }
  if (raw.IMAP_HOST && (!raw.IMAP_USER || !raw.IMAP_PASSWORD)) {
    problems.push('IMAP_USER, IMAP_PASSWORD: required when IMAP_HOST is set');
  }
  if (raw.IMAP_PROCESSED_MAILBOX && raw.IMAP_PROCESSED_MAILBOX === raw.IMAP_MAILBOX) {
    problems.push('IMAP_PROCESSED_MAILBOX: must differ from IMAP_MAILBOX');
  }
  return problems;
}
