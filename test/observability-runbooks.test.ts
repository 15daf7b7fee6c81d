import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildAlertRules, DEFAULT_PROMETHEUS_PARAMS } from '../alerts-ts/index.js';
import { ROOT } from './observability-promql.js';

/** GitHub's heading anchor: lower case, spaces to dashes, punctuation dropped. */
function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .replace(/\s/g, '-');
}

describe('docs/runbooks/alerts.md', () => {
  const text = readFileSync(path.join(ROOT, 'docs/runbooks/alerts.md'), 'utf8');
  const sections = new Map(
    text
      .split(/^## /m)
      .slice(1)
      .map((s) => [anchor(s.split('\n')[0]!), s] as const),
  );

  it("has a section for every alert, at the anchor of the alert's runbook_url, saying what it means and what to do", () => {
    for (const { rule } of buildAlertRules(DEFAULT_PROMETHEUS_PARAMS)) {
      const url = new URL(rule.annotations.runbook_url);
      const fragment = url.hash.slice(1);
      expect(url.pathname.endsWith('/docs/runbooks/alerts.md'), rule.annotations.runbook_url).toBe(true);
      const section = sections.get(fragment);
      expect(section, `no "## ${rule.alert}" section for ${rule.annotations.runbook_url}`).toBeDefined();
      expect(section).toContain('**What it means**');
      expect(section).toContain('**What to do**');
      expect(section).toContain(`(${rule.labels.severity})`);
    }
    expect(sections.size).toBe(8);
  });

  it('links between sections resolve', () => {
    for (const [, target] of text.matchAll(/\]\(#([^)]+)\)/g))
      expect(sections.has(target!), target).toBe(true);
  });
});
