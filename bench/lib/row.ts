import type { Line } from './report.js';

export interface RowContext {
  /** Small sizes for development (`--quick`): same code paths, minutes instead of a quarter hour. */
  quick: boolean;
  log(line: string): void;
}

export interface RowOutcome {
  lines: Line[];
  notes: string[];
  peakRssMb: number | null;
}

export interface RowDefinition {
  /** What `--only` selects. */
  id: string;
  title: string;
  /** Product files the row exercises, relative to the repository root; when one is missing the row has not landed. */
  requires: string[];
  run(context: RowContext): Promise<RowOutcome>;
}
