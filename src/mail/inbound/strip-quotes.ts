/**
 * Keeps the new text of an email reply: drops the quoted message that mail clients append
 * (Gmail, Outlook, Apple Mail, Thunderbird, "-----Original Message-----" and `>` quotes, in
 * French and English) and a signature after the standard "-- " line.
 */

/** Lines that start the quoted original, matched against a line trimmed of spaces. */
const QUOTE_HEADERS: RegExp[] = [
  // Gmail, Apple Mail and Thunderbird: "Le 3 déc. 2026 à 10:12, Alice <a@b> a écrit :"
  /^le\s.+\s(a\s+)?écrit\s*:$/i,
  /^on\s.+\swrote\s*:$/i,
  // Thunderbird's other form: "Alice a écrit le 03/12/2026 à 10:12 :"
  /^.+\sa\s+écrit\s+le\s.+:$/i,
  /^-{2,}\s*(original message|message d['’]origine)\s*-{2,}$/i,
  /^-{2,}\s*(forwarded message|message transféré)\s*-{2,}$/i,
  /^_{20,}$/,
];

/** First lines of an Outlook header block ("De : … Envoyé : …" or "From: … Sent: …"). */
const OUTLOOK_FROM = /^\*?(de|from)\s*:\s*\*?\s*\S/i;
const OUTLOOK_NEXT = /^\*?(envoyé|sent|date|à|to|objet|subject)\s*:/i;

/** Gmail and Apple Mail wrap a long attribution line, so up to three lines are joined. */
function attributionAt(lines: string[], index: number): boolean {
  if (lines[index].trim() === '') return false;
  for (let count = 1; count <= 3 && index + count <= lines.length; count++) {
    const candidate = lines
      .slice(index, index + count)
      .map((line) => line.trim())
      .join(' ');
    if (QUOTE_HEADERS.some((pattern) => pattern.test(candidate))) return true;
  }
  return false;
}

function outlookBlockAt(lines: string[], index: number): boolean {
  if (!OUTLOOK_FROM.test(lines[index].trim())) return false;
  const following = lines.slice(index + 1, index + 4).map((line) => line.trim());
  return following.some((line) => OUTLOOK_NEXT.test(line));
}

/** Returns the new text of a plain-text email body, trimmed; the whole body if nothing is new. */
export function stripQuotes(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  let end = lines.length;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index];
    if (line === '-- ' || line === '--') {
      end = index;
      break;
    }
    if (/^\s*>/.test(line)) {
      end = index;
      break;
    }
    if (attributionAt(lines, index) || outlookBlockAt(lines, index)) {
      end = index;
      break;
    }
  }
  const kept = lines
    .slice(0, end)
    .filter((line) => !/^\s*>/.test(line))
    .join('\n')
    .trim();
  return kept === '' ? text.trim() : kept;
}
