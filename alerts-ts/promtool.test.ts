import { describe, expect, it } from 'vitest';
import { firingAlert } from './promtool.js';
import type { RenderedAlertRule } from './rule.js';

const rule = (description: string): RenderedAlertRule => ({
  alert: 'Example',
  expr: 'up == 0',
  for: '5m',
  labels: { severity: 'warning' },
  annotations: { summary: 'Pod {{ $labels.pod }} is down', description, runbook_url: 'https://runbooks/x' },
});

describe('firingAlert', () => {
  it('expands labels and humanized values as Prometheus does', () => {
    const alert = firingAlert(rule('{{ $value | humanizePercentage }} failed'), {
      labels: { pod: 'api-0' },
      value: 0.1234,
    });
    expect(alert.exp_labels).toEqual({ severity: 'warning', pod: 'api-0' });
    expect(alert.exp_annotations.summary).toBe('Pod api-0 is down');
    expect(alert.exp_annotations.description).toBe('12.34% failed');
  });

  it('refuses a template it cannot expand instead of expecting it unexpanded', () => {
    expect(() => firingAlert(rule('ok'))).toThrow(/no value for label pod/);
    expect(() => firingAlert(rule('{{ $value | humanize }}'), { labels: { pod: 'a' } })).toThrow(
      /cannot expand \{\{ \$value \| humanize \}\}/,
    );
    expect(() => firingAlert(rule('{{ $value }} left'), { labels: { pod: 'a' }, value: 1 })).toThrow(
      /template form the test cannot expand/,
    );
  });
});
