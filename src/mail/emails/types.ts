import type { Config } from '../../config.ts';
import type { Database, OutboundEmail } from '../../db/client.ts';
import type { LocaleCode, Translate } from '../../i18n/index.ts';

export interface EmailContext {
  db: Database;
  config: Config;
  locale: LocaleCode;
  t: Translate;
}

export interface EmailContent {
  subject: string;
  /** Template name under views/emails, rendered as NAME.html.ejs and NAME.text.ejs. */
  template: string;
  /** Values for the templates. */
  data: Record<string, unknown>;
}

/** One kind of email: loads what it needs from the outbox row and builds its content. */
export interface EmailModule {
  kind: string;
  build(email: OutboundEmail, context: EmailContext): Promise<EmailContent>;
  /** Payload keys erased once the email is sent, such as link secrets. */
  secretPayloadKeys?: string[];
}
