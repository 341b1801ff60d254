import type { Translate } from '../../i18n/index.ts';

// Reasons are stored in English, as the logs have them; pages show them in the reader's language.
const KNOWN_REASONS: [RegExp, string][] = [
  [/^sent by Guichet itself$/, 'inbound.reasons.own'],
  [/^automatic message \((?<detail>.*)\)$/, 'inbound.reasons.automatic'],
  [/^throttled$/, 'inbound.reasons.throttled'],
  [/^sender is not a participant$/, 'inbound.reasons.notParticipant'],
  [/^unknown sender$/, 'inbound.reasons.unknownSender'],
  [/^sender account is deactivated$/, 'inbound.reasons.deactivated'],
  [/^no active category for a new ticket$/, 'inbound.reasons.noCategory'],
];

/** Translates the stored reason of an inbound message; unknown ones keep their technical text. */
export function describeInboundReason(reason: string | null, t: Translate): string {
  if (!reason) return '';
  for (const [pattern, key] of KNOWN_REASONS) {
    const match = pattern.exec(reason);
    if (match) return t(key, { detail: match.groups?.detail ?? '' });
  }
  return t('inbound.reasons.other', { detail: reason });
}
