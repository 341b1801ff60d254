import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import type { Config } from '../config.ts';

export interface MailTransport {
  send(message: SendMailOptions): Promise<void>;
  close(): void;
}

/**
 * Writes each message as an .eml file in `directory`, named after the time and the recipient,
 * so that a person can open it in a mail client.
 */
export function createFileTransport(directory: string): MailTransport {
  const streamer = nodemailer.createTransport({ streamTransport: true, buffer: true });
  return {
    async send(message) {
      const info = await streamer.sendMail(message);
      const recipient = String(message.to)
        .replace(/[^A-Za-z0-9@._-]+/g, '_')
        .slice(0, 80);
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const suffix = Math.random().toString(36).slice(2, 8);
      await mkdir(directory, { recursive: true });
      await writeFile(
        path.join(directory, `${stamp}-${recipient}-${suffix}.eml`),
        info.message as Buffer,
      );
    },
    close() {
      streamer.close();
    },
  };
}

export function createSmtpTransport(config: Config): MailTransport {
  const transporter = nodemailer.createTransport({
    host: config.SMTP_HOST,
    port: config.SMTP_PORT,
    secure: config.SMTP_SECURE,
    auth: config.SMTP_USER ? { user: config.SMTP_USER, pass: config.SMTP_PASSWORD } : undefined,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 30_000,
  });
  return {
    async send(message) {
      await transporter.sendMail(message);
    },
    close() {
      transporter.close();
    },
  };
}

export function createTransportFromConfig(config: Config): MailTransport {
  return config.MAIL_TRANSPORT === 'smtp'
    ? createSmtpTransport(config)
    : createFileTransport(path.join(config.dataDir, 'mail'));
}
