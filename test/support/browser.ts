import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';

/** Screenshots of the browser tests (git-ignored). */
export const ARTIFACTS = path.resolve('test-artifacts/web');

/**
 * Debian's Chromium (`apt-get install chromium`), never a test tool's own download. The flags keep it headless
 * and off the network: this machine refuses every outside connection.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
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
