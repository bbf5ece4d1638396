// The one way the tests drive a real browser: Debian's /usr/bin/chromium (CHROMIUM_BIN to change it),
// headless, through playwright-core (no browser download). Used by the panel renderer here and by the
// landing page test.
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

/** Starts headless Chromium; the caller closes it. */
export function launchChromium(): Promise<Browser> {
  // no sandbox: the tests run as root in containers, where Chromium's sandbox cannot start
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}
