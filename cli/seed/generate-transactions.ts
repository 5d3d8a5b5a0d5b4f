// Writes a CSV in the UCI "Online Retail" layout, for tests and for timing the transactions import:
//   node dist/cli/seed/generate-transactions.js <file.csv> <lines> [seed]
import { createWriteStream } from "node:fs";
import { once } from "node:events";

export const UCI_HEADER =
  "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country";

export interface GeneratorOptions {
  /** Data lines to write (the header comes on top). */
  lines: number;
  /** The same seed gives the same file. @default 1 */
  seed?: number;
  /** How many distinct customers. @default 4000 */
  customers?: number;
  /** The first invoice's date, read as UTC. @default 2010-12-01T08:26:00Z */
  start?: Date;
  /** Minutes between invoices. @default so that the file spans about a year, 1 to 60 */
  invoiceMinutes?: number;
}

const COUNTRIES = [
  "United Kingdom",
  "Germany",
  "France",
  "EIRE",
  "Spain",
  "Netherlands",
  "Belgium",
  "Switzerland",
  "Portugal",
  "Australia",
];
const WORDS = [
  "WHITE",
  "HANGING",
  "HEART",
  "T-LIGHT",
  "HOLDER",
  "CREAM",
  "CUPID",
  "HEARTS",
  "COAT",
  "HANGER",
  "KNITTED",
  "UNION",
  "FLAG",
  "HOT",
  "WATER",
  "BOTTLE",
  "RED",
  "WOOLLY",
  "JUMBO",
  "BAG",
  "VINTAGE",
  "LUNCH",
  "BOX",
  "SET",
  "OF",
  "3",
  "CAKE",
  "TINS",
  "PANTRY",
  "DESIGN",
];

/** A small deterministic pseudo-random generator (mulberry32): numbers in [0, 1). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Product {
  code: string;
  description: string;
  price: string;
}

function products(next: () => number): Product[] {
  return Array.from({ length: 300 }, (_, index) => {
    const words = Array.from(
      { length: 2 + Math.floor(next() * 4) },
      () => WORDS[Math.floor(next() * WORDS.length)],
    );
    // A few descriptions hold a comma, and so are quoted, as some in the UCI file are.
    const description =
      index % 37 === 5
        ? `"${words.slice(0, 2).join(" ")}, ${words.slice(2).join(" ")}"`
        : words.join(" ");
    const price = (Math.round((0.29 + next() * 15) * 100) / 100).toFixed(2);
    return {
      code: index % 50 === 7 ? `${84000 + index}A` : String(84000 + index),
      description,
      price,
    };
  });
}

/** `12/1/2010 8:26`, as the UCI file writes dates (month/day/year, 24-hour, no zone). */
export function uciDate(date: Date): string {
  return `${date.getUTCMonth() + 1}/${date.getUTCDate()}/${date.getUTCFullYear()} ${date.getUTCHours()}:${String(date.getUTCMinutes()).padStart(2, "0")}`;
}

/**
 * The lines of a UCI-layout file, header first: invoices of 1 to 40 lines numbered from 536365,
 * about 15% of them without a customer, about 3% cancellations ("C" invoices of negative
 * quantities), and a few lines with a price of 0 or a negative quantity outside a cancellation.
 * Customer ids are written now as `17850`, now as `17850.0`.
 */
export function* generateTransactionLines(options: GeneratorOptions): Generator<string> {
  const next = random(options.seed ?? 1);
  const catalog = products(next);
  const customerCount = options.customers ?? 4_000;
  const countries = Array.from({ length: customerCount }, () =>
    next() < 0.85 ? COUNTRIES[0] : COUNTRIES[1 + Math.floor(next() * (COUNTRIES.length - 1))],
  );
  const start = options.start ?? new Date("2010-12-01T08:26:00Z");
  const invoiceMinutes =
    options.invoiceMinutes ??
    Math.max(1, Math.min(60, Math.floor((365 * 24 * 60) / Math.max(1, options.lines / 20))));

  yield UCI_HEADER;
  let written = 0;
  let invoiceNumber = 536_365;
  let time = start.getTime();
  while (written < options.lines) {
    const cancellation = next() < 0.03;
    const anonymous = !cancellation && next() < 0.15;
    const customerIndex = Math.floor(next() * customerCount);
    const invoice = cancellation ? `C${invoiceNumber}` : String(invoiceNumber);
    const date = uciDate(new Date(time));
    const country = anonymous ? COUNTRIES[0] : countries[customerIndex];
    const size = Math.min(
      options.lines - written,
      cancellation ? 1 + Math.floor(next() * 3) : 1 + Math.floor(next() * 40),
    );
    for (let i = 0; i < size; i++) {
      const product = catalog[Math.floor(next() * catalog.length)];
      let quantity = 1 + Math.floor(next() * 24);
      let price = product.price;
      const odd = next();
      if (cancellation) quantity = -quantity;
      else if (odd < 0.003)
        quantity = -quantity; // an adjustment, not a cancellation: skipped
      else if (odd < 0.006) price = "0"; // a free line: skipped
      const customer = anonymous
        ? ""
        : next() < 0.3
          ? `${12346 + customerIndex}.0`
          : String(12346 + customerIndex);
      yield `${invoice},${product.code},${product.description},${quantity},${date},${price},${customer},${country}`;
      written++;
    }
    invoiceNumber++;
    time += invoiceMinutes * 60_000;
  }
}

/** Writes {@link generateTransactionLines} to `file`. */
export async function writeTransactionsCsv(file: string, options: GeneratorOptions): Promise<void> {
  const out = createWriteStream(file);
  let chunk: string[] = [];
  for (const line of generateTransactionLines(options)) {
    chunk.push(line);
    if (chunk.length === 10_000) {
      if (!out.write(`${chunk.join("\n")}\n`)) await once(out, "drain");
      chunk = [];
    }
  }
  if (chunk.length > 0) out.write(`${chunk.join("\n")}\n`);
  out.end();
  await once(out, "finish");
}

if (require.main === module) {
  const [file, lines, seed] = process.argv.slice(2);
  if (!file || !/^\d+$/.test(lines ?? "")) {
    process.stderr.write(
      "Usage: node dist/cli/seed/generate-transactions.js <file.csv> <lines> [seed]\n",
    );
    process.exitCode = 2;
  } else {
    writeTransactionsCsv(file, {
      lines: Number(lines),
      seed: seed ? Number(seed) : undefined,
    }).catch((error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exitCode = 1;
    });
  }
}
