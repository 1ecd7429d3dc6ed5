import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { chromium, type Browser } from 'playwright-core';

/** The system Chromium the browser tests drive (playwright-core brings no browser of its own). */
const CHROMIUM_PATH = '/usr/bin/chromium';

/** Headless, and quiet: no first-run pages, background fetches, updates or QUIC, so every request a test sees is the page's own. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Skips the test, saying how to install Chromium, when the machine has none; true when it was
 * skipped (the caller returns). A browser test then never fails just because Chromium is missing.
 */
export function skipWithoutChromium(t: TestContext): boolean {
  if (existsSync(CHROMIUM_PATH)) return false;
  t.skip(`Chromium not found at ${CHROMIUM_PATH}: install it with \`apt-get install -y chromium\` to run this test`);
  return true;
}

/** Starts the system Chromium; the caller closes it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}
