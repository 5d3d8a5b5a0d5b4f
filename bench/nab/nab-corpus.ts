import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";

/** One NAB series: its rows and labelled windows (times in ms, the CSV's times read as UTC). */
export interface NabSeries {
  /** As NAB names it, e.g. `realKnownCause/nyc_taxi.csv`. */
  name: string;
  timestamps: number[];
  values: number[];
  windows: [number, number][];
}

/** NAB's `2014-04-10 07:15:00[.000000]`, read as UTC. */
export function nabTime(text: string): number {
  return Date.parse(`${text.trim().slice(0, 19).replace(" ", "T")}Z`);
}

/**
 * Reads the vendored corpus: `<dir>/<category>/<file>.csv.gz` and `<dir>/combined_windows.json`.
 * `only` keeps series whose name contains one of the strings.
 */
export function readNabCorpus(dir: string, only: string[] = []): NabSeries[] {
  const windows: Record<string, [string, string][]> = JSON.parse(
    readFileSync(path.join(dir, "combined_windows.json"), "utf8"),
  );
  const series: NabSeries[] = [];
  for (const name of Object.keys(windows).sort()) {
    if (only.length && !only.some((part) => name.includes(part))) continue;
    const text = gunzipSync(readFileSync(path.join(dir, `${name}.gz`))).toString("utf8");
    const timestamps: number[] = [];
    const values: number[] = [];
    for (const line of text.split("\n").slice(1)) {
      if (!line.trim()) continue;
      const [time, value] = line.split(",");
      timestamps.push(nabTime(time));
      values.push(Number(value));
    }
    series.push({
      name,
      timestamps,
      values,
      windows: windows[name].map(([start, end]) => [nabTime(start), nabTime(end)]),
    });
  }
  return series;
}

/** The categories the corpus holds, for listing. */
export function nabCategories(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
}
