/**
 * CSV → one block per row, written as "Column: value; Column: value" so every chunk keeps the meaning of its
 * cells even when it holds rows far from the header. Quoted fields (RFC 4180) may hold delimiters and newlines.
 */
import type { ParsedBlock } from '../document.js';

const CANDIDATE_DELIMITERS = [',', ';', '\t', '|'];

export function parseCsv(text: string): ParsedBlock[] {
  const rows = readRows(text, detectDelimiter(text));
  const nonEmpty = rows.filter((row) => row.some((cell) => cell.trim() !== ''));
  const [header, ...records] = nonEmpty;
  if (!header) return [];
  const names = header.map((name, i) => name.trim() || `Column ${i + 1}`);
  if (records.length === 0) return [{ text: names.join('; '), headingPath: [] }];
  return records.map((record) => ({
    text: record
      .map((cell, i) => [names[i] ?? `Column ${i + 1}`, cell.replace(/\s+/g, ' ').trim()] as const)
      .filter(([, value]) => value !== '')
      .map(([name, value]) => `${name}: ${value}`)
      .join('; '),
    headingPath: [],
  }));
}

/** The candidate that splits the first line into the most fields (outside quotes). */
function detectDelimiter(text: string): string {
  const firstLine = text.slice(0, 4096).split('\n', 1)[0] ?? '';
  let best = ',';
  let bestCount = 0;
  for (const delimiter of CANDIDATE_DELIMITERS) {
    const count = (readRows(firstLine, delimiter)[0] ?? []).length;
    if (count > bestCount) {
      best = delimiter;
      bestCount = count;
    }
  }
  return best;
}

function readRows(text: string, delimiter: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (ch === delimiter) {
      row.push(field);
      field = '';
    } else if (ch === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
