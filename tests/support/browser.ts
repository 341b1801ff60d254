import { existsSync } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium package, because playwright-core downloads no browser of its own. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Reason to skip browser tests on a machine without Chromium, or false. CI installs Chromium,
 * so there a missing browser fails the tests instead of skipping them.
 */
export const browserSkipReason: string | false =
  existsSync(CHROMIUM_PATH) || process.env.CI
    ? false
    : `Chromium not found at ${CHROMIUM_PATH}; install it with apt-get install chromium`;

/** The WCAG 2.0 and 2.1 success criteria of levels A and AA, as axe-core tags them. */
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/**
 * Launches headless Chromium with a temporary profile that Playwright deletes on close().
 * The flags turn off the background requests Chromium makes to Google services, so the only
 * traffic is to the pages a test opens.
 */
export async function launchBrowser(): Promise<Browser> {
  try {
    await access(CHROMIUM_PATH);
  } catch {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: install it with apt-get install chromium`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

type Violation = Awaited<ReturnType<AxeBuilder['analyze']>>['violations'][number];

function describeViolation(violation: Violation): string {
  const targets = violation.nodes.map((node) => `      ${node.target.join(' ')}`).join('\n');
  return `  - ${violation.id} (${violation.impact ?? 'no impact'}): ${violation.help}\n${targets}`;
}

/**
 * Runs axe-core on the page for WCAG 2.1 level A and AA rules and throws an error listing
 * every violation with the selectors of the offending elements. `label` names the page.
 * The page must come from browser.newContext(): AxeBuilder 4.13 rejects browser.newPage() pages.
 */
export async function expectNoAxeViolations(page: Page, label: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
  if (results.violations.length === 0) return;
  const list = results.violations.map(describeViolation).join('\n');
  throw new Error(
    `Accessibility violations on ${label} (${page.url()}), WCAG 2.1 A and AA:\n${list}`,
  );
}

/**
 * Saves a full-page PNG as SCREENSHOT_DIR/NAME.png, creating the folder. Does nothing when
 * SCREENSHOT_DIR is unset or empty.
 */
export async function saveScreenshot(page: Page, name: string): Promise<void> {
  const directory = process.env.SCREENSHOT_DIR;
  if (!directory) return;
  await mkdir(directory, { recursive: true });
  await page.screenshot({ path: path.join(directory, `${name}.png`), fullPage: true });
}
