import { createReadStream } from "node:fs";

const NEWLINE = 0x0a;

/**
 * A quick estimate of a CSV file's data rows, for the progress line: its lines (newlines, plus a
 * last line without one) minus the header. Approximate: a quoted value holding a newline counts
 * as two lines, and blank lines count too. Reads the file once in chunks, never whole.
 */
export async function estimateDataRows(file: string): Promise<number> {
  let lines = 0;
  let lastByte: number | undefined;
  for await (const chunk of createReadStream(file)) {
    const bytes = chunk as Buffer;
    for (let at = bytes.indexOf(NEWLINE); at !== -1; at = bytes.indexOf(NEWLINE, at + 1)) lines++;
    if (bytes.length > 0) lastByte = bytes[bytes.length - 1];
  }
  if (lastByte !== undefined && lastByte !== NEWLINE) lines++;
  return Math.max(0, lines - 1);
}
