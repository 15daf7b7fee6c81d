/**
 * DOCX → blocks: the zip is checked for bombs first, then mammoth maps Word's heading styles to <h1>..<h6>
 * and the HTML path turns that into heading paths. Images are not read (no text in them for us).
 */
import mammoth from 'mammoth';
import type { ParsedBlock } from '../document.js';
import { DocumentParseError } from '../errors.js';
import { assertSafeZip, type ZipLimits } from '../zip.js';
import { parseHtml } from './html.js';

const skipImages = mammoth.images.imgElement(async () => ({ src: '' }));

export async function parseDocx(buffer: Buffer, zipLimits?: ZipLimits): Promise<ParsedBlock[]> {
  const entries = assertSafeZip(buffer, zipLimits);
  if (!entries.some((entry) => entry.name === 'word/document.xml')) {
    throw new DocumentParseError(
      'corrupt',
      'The file is a zip archive but not a Word document (no word/document.xml).',
    );
  }
  let html: string;
  try {
    const result = await mammoth.convertToHtml(
      { buffer },
      { convertImage: skipImages, ignoreEmptyParagraphs: true },
    );
    html = result.value;
  } catch (error) {
    throw new DocumentParseError('corrupt', 'The Word document is damaged and cannot be read.', {
      cause: error,
    });
  }
  return parseHtml(html);
}
