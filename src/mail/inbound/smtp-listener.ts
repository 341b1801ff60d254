import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import {
  SMTPServer,
  type SMTPServerAddress,
  type SMTPServerDataStream,
  type SMTPServerSession,
} from 'smtp-server';
import type { Config } from '../../config.ts';
import { processInboundMessage, storeInboundMessage, type InboundDeps } from './ingest.ts';

export interface SmtpListenerOptions {
  host: string;
  /** 0 picks a free port, which `SmtpListener.port` then contains. */
  port: number;
  /** Lower-case domains whose recipients are accepted; any other recipient gets 550. */
  domains: string[];
  /** Largest message accepted, in bytes, announced with the SIZE extension. */
  maxBytes: number;
  /** PEM certificate and key files; STARTTLS is offered only when both are set. */
  tlsCertFile?: string;
  tlsKeyFile?: string;
}

export interface SmtpListener {
  host: string;
  port: number;
  /** Stops accepting connections, then waits for open sessions and started processing. */
  close(): Promise<void>;
}

/** Milliseconds that close() leaves open sessions before cutting them. */
const CLOSE_TIMEOUT_MS = 10_000;

/** Returns the listener options of the configuration, or null when INBOUND_SMTP_PORT is unset. */
export function smtpListenerOptionsFrom(config: Config): SmtpListenerOptions | null {
  if (config.INBOUND_SMTP_PORT === undefined) return null;
  return {
    host: config.INBOUND_SMTP_HOST,
    port: config.INBOUND_SMTP_PORT,
    domains: config.inboundDomains,
    maxBytes: config.INBOUND_MAX_BYTES,
    tlsCertFile: config.INBOUND_SMTP_TLS_CERT,
    tlsKeyFile: config.INBOUND_SMTP_TLS_KEY,
  };
}

function smtpError(responseCode: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode });
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

/**
 * Adds the envelope as trace headers, as a final delivery agent does: Return-Path for the
 * sender and one Delivered-To per accepted recipient, because a Bcc recipient such as a
 * ticket's reply address appears in no other header. They contain no timestamp, so a message
 * that the sending server retries stays byte-for-byte identical.
 */
function withEnvelopeHeaders(raw: Buffer, session: SMTPServerSession): Buffer {
  const sender = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
  const lines = [`Return-Path: <${sender}>`];
  for (const recipient of session.envelope.rcptTo) {
    lines.push(`Delivered-To: ${recipient.address}`);
  }
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n`), raw]);
}

/**
 * Starts an SMTP server that accepts mail for the helpdesk's domains without authentication,
 * so it belongs on localhost or behind the organisation's mail relay, never open to the
 * internet. Each message is stored before the 250 reply, so a crash after that reply loses
 * nothing, and processed afterwards. A storage failure replies 451 so the sender retries.
 */
export async function startSmtpListener(
  deps: InboundDeps,
  options: SmtpListenerOptions,
): Promise<SmtpListener> {
  const { logger } = deps;
  const domains = new Set(options.domains.map((domain) => domain.toLowerCase()));
  const processing = new Set<Promise<void>>();
  const tls =
    options.tlsCertFile && options.tlsKeyFile
      ? { cert: await readFile(options.tlsCertFile), key: await readFile(options.tlsKeyFile) }
      : undefined;

  const processLater = (id: number) => {
    const task = processInboundMessage(deps, id)
      .catch((error: unknown) => {
        logger.error({ err: error, inboundId: id }, 'Processing of inbound message failed');
      })
      .finally(() => processing.delete(task));
    processing.add(task);
  };

  const onRcptTo = (
    address: SMTPServerAddress,
    session: SMTPServerSession,
    callback: (error?: Error) => void,
  ) => {
    if (domains.has(domainOf(address.address))) return callback();
    logger.info(
      { smtpSession: session.id, remoteAddress: session.remoteAddress },
      'Inbound SMTP recipient rejected: domain not served',
    );
    const served = [...domains].join(', ');
    callback(smtpError(550, `Mailbox unavailable: this server accepts mail only for ${served}`));
  };

  const onData = (
    stream: SMTPServerDataStream,
    session: SMTPServerSession,
    callback: (error?: Error | null, message?: string) => void,
  ) => {
    const chunks: Buffer[] = [];
    let received = 0;
    stream.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received <= options.maxBytes) chunks.push(chunk);
    });
    stream.on('end', () => {
      const log = {
        smtpSession: session.id,
        remoteAddress: session.remoteAddress,
        bytes: received,
      };
      if (stream.sizeExceeded || received > options.maxBytes) {
        logger.info({ ...log, maxBytes: options.maxBytes }, 'Inbound SMTP message too large');
        const message = `Message exceeds the maximum size of ${options.maxBytes} bytes`;
        return callback(smtpError(552, message));
      }
      const raw = withEnvelopeHeaders(Buffer.concat(chunks), session);
      storeInboundMessage(deps, raw, 'smtp').then(
        ({ id, duplicate }) => {
          logger.info({ ...log, inboundId: id, duplicate }, 'Inbound SMTP message stored');
          if (!duplicate) processLater(id);
          callback(null, `Message stored as ${id}`);
        },
        (error: unknown) => {
          logger.error({ ...log, err: error }, 'Inbound SMTP message could not be stored');
          callback(smtpError(451, 'Temporary failure storing the message, try again later'));
        },
      );
    });
  };

  const server = new SMTPServer({
    banner: 'Guichet',
    size: options.maxBytes,
    authOptional: true,
    disabledCommands: tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    ...(tls ?? {}),
    logger: false,
    closeTimeout: CLOSE_TIMEOUT_MS,
    onRcptTo,
    onData,
  });
  server.on('error', (error) => logger.error({ err: error }, 'Inbound SMTP server error'));

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.server.address() as AddressInfo;
  const started = { host: options.host, port, domains: [...domains], starttls: Boolean(tls) };
  logger.info({ ...started, maxBytes: options.maxBytes }, 'Inbound SMTP listener started');

  return {
    host: options.host,
    port,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all(processing);
      logger.info({ port }, 'Inbound SMTP listener stopped');
    },
  };
}
