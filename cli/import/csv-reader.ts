import { createReadStream } from "node:fs";
import { parse, type Info } from "csv-parse";
import { headerNames } from "./column-mapping";
import { ImportError } from "./errors";

/** What {@link readCsv} yields: the header once, before any row, then each data row. */
export type CsvItem =
  | { kind: "header"; columns: string[] }
  | { kind: "row"; line: number; values: Record<string, string> };

/**
 * Streams a CSV file whose first line is the header: yields the header (named by
 * {@link headerNames}), then every non-empty row keyed by those names with the line it starts on
 * (the header is line 1). Reading pauses while the consumer works on an item, so memory stays
 * flat whatever the file's size. A short row lacks the missing keys; extra fields are dropped.
 * Line numbers assume a one-line header.
 * Throws an {@link ImportError} when the file cannot be read or is not valid CSV.
 */
export async function* readCsv(file: string, delimiter: string): AsyncGenerator<CsvItem> {
  let header: string[] | undefined;
  const parser = parse({
    delimiter,
    columns: (raw: string[]) => (header = headerNames(raw)),
    bom: true,
    skip_empty_lines: true,
    relax_column_count: true,
    info: true,
  });
  const input = createReadStream(file);
  input.on("error", (error) => parser.destroy(error));
  input.pipe(parser);

  let headerYielded = false;
  // Where the next row starts: after the rows so far, the line breaks inside their quoted values
  // and the blank lines skipped. csv-parse's own info.lines counts a quoted "\r\n" twice.
  let nextLine = 2;
  let emptyLinesSoFar = 0;
  try {
    for await (const item of parser as AsyncIterable<{
      record: Record<string, string>;
      info: Info;
    }>) {
      if (!headerYielded) {
        headerYielded = true;
        yield { kind: "header", columns: header ?? [] };
      }
      const { record, info } = item;
      const line = nextLine + (info.empty_lines - emptyLinesSoFar);
      emptyLinesSoFar = info.empty_lines;
      nextLine = line + 1 + lineBreaksIn(Object.values(record));
      yield { kind: "row", line, values: record };
    }
  } catch (error) {
    throw new ImportError(`${file}: ${(error as Error).message}`);
  } finally {
    input.destroy();
  }
  // A file with a header and no rows still has its header checked.
  if (!headerYielded && header) yield { kind: "header", columns: header };
}

/** How many line breaks ("\r\n", "\n" or "\r") the values hold. */
function lineBreaksIn(values: string[]): number {
  let count = 0;
  for (const value of values) count += value.match(/\r\n|\r|\n/g)?.length ?? 0;
  return count;
}
