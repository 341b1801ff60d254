import i18next, { type TFunction } from 'i18next';
import en from './locales/en.json' with { type: 'json' };
import fr from './locales/fr.json' with { type: 'json' };

export const LOCALES = ['fr', 'en'] as const;
export type LocaleCode = (typeof LOCALES)[number];
export type Translate = TFunction;

const i18n = i18next.createInstance();
await i18n.init({
  resources: { fr: { translation: fr }, en: { translation: en } },
  lng: 'fr',
  fallbackLng: 'fr',
  supportedLngs: [...LOCALES],
  // EJS escapes on output; escaping here too would double-escape.
  interpolation: { escapeValue: false },
  returnNull: false,
  initAsync: false,
});

export function translator(locale: LocaleCode): Translate {
  return i18n.getFixedT(locale);
}

export function isLocale(value: unknown): value is LocaleCode {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** Formats a date and time in the locale, in the server's time zone. */
export function formatDateTime(date: Date, locale: LocaleCode): string {
  return new Intl.DateTimeFormat(locale === 'fr' ? 'fr-FR' : 'en-GB', {
    dateStyle: 'medium',
    timeStyle: 'short',
  }).format(date);
}
