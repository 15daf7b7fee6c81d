import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  OWNED_DIRECTORIES,
  renderObservabilityFiles,
  SYNTH_COMMAND,
} from '../scripts/synth-observability.js';
import { ROOT } from './observability-promql.js';

describe('dist/prometheus and dist/grafana', () => {
  const expected = renderObservabilityFiles();

  it('are byte-identical to a fresh render', () => {
    for (const [relative, content] of Object.entries(expected)) {
      const file = path.join(ROOT, relative);
      const onDisk = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
      expect(
        onDisk === content,
        `${relative} is stale or missing: run \`${SYNTH_COMMAND}\` and commit the result`,
      ).toBe(true);
    }
  });

  it('hold no file the render no longer produces', () => {
    for (const dir of OWNED_DIRECTORIES) {
      for (const entry of readdirSync(path.join(ROOT, dir))) {
        expect(`${dir}/${entry}` in expected, `${dir}/${entry} is left over: run \`${SYNTH_COMMAND}\``).toBe(
          true,
        );
      }
    }
  });
});
