/**
 * A small reader for a zip's central directory, so an archive is judged BEFORE any library inflates it.
 * mammoth (through JSZip) would inflate whatever the archive holds; a 40 kB DOCX can expand to gigabytes.
 */
import { inflateRawSync } from 'node:zlib';
import { DocumentParseError } from './errors.js';

export interface ZipEntryInfo {
  name: string;
  method: number;
  encrypted: boolean;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

export interface ZipLimits {
  /** More entries than this is not an office document. @default 10000 */
  maxEntries: number;
  /** Sum of declared uncompressed sizes. @default 200 MiB */
  maxTotalUncompressed: number;
  /** One XML part (what mammoth parses into memory). @default 32 MiB */
  maxXmlEntryUncompressed: number;
  /** Compression ratio allowed for entries larger than `ratioFloor`. @default 200 */
  maxRatio: number;
  /** Entries smaller than this may compress as well as they like. @default 1 MiB */
  ratioFloor: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_ZIP_LIMITS: ZipLimits = {
  maxEntries: 10_000,
  maxTotalUncompressed: 200 * MiB,
  maxXmlEntryUncompressed: 32 * MiB,
  maxRatio: 200,
  ratioFloor: MiB,
};

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_DIRECTORY_HEADER = 0x02014b50;
const LOCAL_FILE_HEADER = 0x04034b50;

export function isZip(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
}

/** Lists the central directory; undefined when the bytes hold no complete, readable one. */
export function readZipDirectory(bytes: Buffer): ZipEntryInfo[] | undefined {
  const end = findEndOfCentralDirectory(bytes);
  if (end < 0) return undefined;
  const count = bytes.readUInt16LE(end + 10);
  const size = bytes.readUInt32LE(end + 12);
  const offset = bytes.readUInt32LE(end + 16);
  if (count === 0xffff || size === 0xffffffff || offset === 0xffffffff) {
    throw new DocumentParseError(
      'unsupported',
      'This archive uses ZIP64, which office documents never need.',
    );
  }
  if (offset + size > end) return undefined;
  const entries: ZipEntryInfo[] = [];
  let at = offset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > end || bytes.readUInt32LE(at) !== CENTRAL_DIRECTORY_HEADER) return undefined;
    const flags = bytes.readUInt16LE(at + 8);
    const nameLength = bytes.readUInt16LE(at + 28);
    const extraLength = bytes.readUInt16LE(at + 30);
    const commentLength = bytes.readUInt16LE(at + 32);
    entries.push({
      name: bytes.toString('utf8', at + 46, at + 46 + nameLength),
      method: bytes.readUInt16LE(at + 10),
      encrypted: (flags & 1) === 1,
      compressedSize: bytes.readUInt32LE(at + 20),
      uncompressedSize: bytes.readUInt32LE(at + 24),
      localHeaderOffset: bytes.readUInt32LE(at + 42),
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

function findEndOfCentralDirectory(bytes: Buffer): number {
  // The end record is 22 bytes plus a comment of at most 65535 bytes.
  const lowest = Math.max(0, bytes.length - 22 - 0xffff);
  for (let at = bytes.length - 22; at >= lowest; at--) {
    if (bytes.readUInt32LE(at) === END_OF_CENTRAL_DIRECTORY) return at;
  }
  return -1;
}

const megabytes = (n: number) => `${Math.round(n / MiB)} MB`;

/**
 * Refuses archives that would cost absurd memory or time to open: too many entries, declared sizes or ratios
 * of a decompression bomb, overlapping entries (the "overlapping files" bomb), encryption. The XML parts are
 * then really inflated with an output cap equal to their declared size, so a directory that lies is caught too.
 */
export function assertSafeZip(bytes: Buffer, limits: ZipLimits = DEFAULT_ZIP_LIMITS): ZipEntryInfo[] {
  const entries = readZipDirectory(bytes);
  if (!entries) {
    throw new DocumentParseError('corrupt', 'The file is damaged: its zip directory cannot be read.');
  }
  if (entries.length > limits.maxEntries) {
    throw new DocumentParseError(
      'zip_bomb',
      `The archive holds ${entries.length} files; an office document has far fewer (limit ${limits.maxEntries}).`,
    );
  }
  let total = 0;
  for (const entry of entries) {
    if (entry.encrypted) {
      throw new DocumentParseError(
        'encrypted',
        'The document is password-protected; remove the password and upload it again.',
      );
    }
    total += entry.uncompressedSize;
    const ratio = entry.uncompressedSize / Math.max(1, entry.compressedSize);
    if (entry.uncompressedSize > limits.ratioFloor && ratio > limits.maxRatio) {
      throw new DocumentParseError(
        'zip_bomb',
        `The document looks like a decompression bomb: "${entry.name}" expands ${Math.round(ratio)} times ` +
          `to ${megabytes(entry.uncompressedSize)}.`,
      );
    }
    if (isXmlPart(entry.name) && entry.uncompressedSize > limits.maxXmlEntryUncompressed) {
      throw new DocumentParseError(
        'zip_bomb',
        `The document's "${entry.name}" expands to ${megabytes(entry.uncompressedSize)}; ` +
          `the limit is ${megabytes(limits.maxXmlEntryUncompressed)}.`,
      );
    }
  }
  if (total > limits.maxTotalUncompressed) {
    throw new DocumentParseError(
      'zip_bomb',
      `The document expands to ${megabytes(total)}; the limit is ${megabytes(limits.maxTotalUncompressed)}.`,
    );
  }
  assertNoOverlap(bytes, entries);
  for (const entry of entries) if (isXmlPart(entry.name)) inflateWithinDeclaredSize(bytes, entry);
  return entries;
}

function isXmlPart(name: string): boolean {
  return /\.(xml|rels)$/i.test(name);
}

function dataOffset(bytes: Buffer, entry: ZipEntryInfo): number {
  const at = entry.localHeaderOffset;
  if (at + 30 > bytes.length || bytes.readUInt32LE(at) !== LOCAL_FILE_HEADER) {
    throw new DocumentParseError('corrupt', `The file is damaged: the zip entry "${entry.name}" is missing.`);
  }
  return at + 30 + bytes.readUInt16LE(at + 26) + bytes.readUInt16LE(at + 28);
}

function assertNoOverlap(bytes: Buffer, entries: ZipEntryInfo[]): void {
  const spans = entries
    .map((entry) => ({
      entry,
      start: entry.localHeaderOffset,
      end: dataOffset(bytes, entry) + entry.compressedSize,
    }))
    .sort((a, b) => a.start - b.start);
  for (let i = 0; i < spans.length; i++) {
    const span = spans[i]!;
    const next = spans[i + 1];
    if (span.end > bytes.length) {
      throw new DocumentParseError(
        'corrupt',
        `The file is damaged: the zip entry "${span.entry.name}" is cut short.`,
      );
    }
    if (next && next.start < span.end) {
      throw new DocumentParseError(
        'zip_bomb',
        'The document looks like a decompression bomb: its zip entries overlap each other.',
      );
    }
  }
}

function inflateWithinDeclaredSize(bytes: Buffer, entry: ZipEntryInfo): void {
  const start = dataOffset(bytes, entry);
  const data = bytes.subarray(start, start + entry.compressedSize);
  if (entry.method === 0) {
    if (entry.compressedSize !== entry.uncompressedSize) {
      throw new DocumentParseError(
        'corrupt',
        `The file is damaged: the zip entry "${entry.name}" has wrong sizes.`,
      );
    }
    return;
  }
  if (entry.method !== 8) {
    throw new DocumentParseError(
      'unsupported',
      `The zip entry "${entry.name}" uses an unsupported compression.`,
    );
  }
  try {
    // One byte of slack so "exactly the declared size" passes and "more than declared" throws.
    inflateRawSync(data, { maxOutputLength: Math.max(1, entry.uncompressedSize + 1) });
  } catch (error) {
    if (error instanceof RangeError || (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new DocumentParseError(
        'zip_bomb',
        `The document looks like a decompression bomb: "${entry.name}" expands beyond its declared size.`,
        { cause: error },
      );
    }
    throw new DocumentParseError('corrupt', `The file is damaged: "${entry.name}" cannot be decompressed.`, {
      cause: error,
    });
  }
}
