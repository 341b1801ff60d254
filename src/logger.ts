import { pino, type Logger } from 'pino';

/** Paths removed from every log line, wherever a caller puts them. */
const redact = [
  'password',
  'token',
  '*.password',
  '*.token',
  'req.headers.cookie',
  'req.headers.authorization',
  'res.headers["set-cookie"]',
];

export function createLogger(level: string): Logger {
  return pino({ level, redact: { paths: redact, censor: '[redacted]' } });
}

export type { Logger };
