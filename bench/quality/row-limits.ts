import {
  columnsOf,
  encode,
  fitEncoder,
  type RawRecord,
} from "../../subgraphs/analytics/src/modules/ml/feature-encoder";
import { matrix } from "../../subgraphs/analytics/src/modules/ml/matrix";
import { prepareFeatures } from "../../subgraphs/analytics/src/modules/segmentation/feature-transform";

export interface RowLimit {
  what: string;
  /**
   * The largest row count that worked, and the smallest that failed (with its error), or null when
   * every size tried worked.
   */
  largestOk: number;
  smallestFailing: { rows: number; error: string } | null;
}

/**
 * prepareFeatures and fitEncoder take the minimum of a column with `Math.min(...column)`, which
 * passes every value as an argument and overflows the stack past some row count. Finds that
 * count by bisection (up to `maxRows`) on a one-column input.
 */
export function rowLimits(maxRows: number): RowLimit[] {
  const probes: { what: string; call: (rows: number) => void }[] = [
    {
      what: "prepareFeatures (segmentation)",
      call: (rows) => void prepareFeatures(matrix(rows, 1), ["x"]),
    },
    {
      what: "fitEncoder (churn)",
      call: (rows) => {
        const records: RawRecord[] = Array.from({ length: rows }, (_, i) => ({
          numeric: { x: i % 7 },
          categorical: {},
        }));
        encode(columnsOf(records.slice(0, 1)), fitEncoder(columnsOf(records)));
      },
    },
  ];
  return probes.map(({ what, call }) => {
    const attempt = (rows: number): string | undefined => {
      try {
        call(rows);
        return undefined;
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`;
      }
    };
    const top = attempt(maxRows);
    if (top === undefined) return { what, largestOk: maxRows, smallestFailing: null };
    let ok = 1_000;
    let failing = maxRows;
    let failure = top;
    while (failing - ok > Math.max(1, ok * 0.001)) {
      const mid = Math.floor((ok + failing) / 2);
      const error = attempt(mid);
      if (error === undefined) ok = mid;
      else {
        failing = mid;
        failure = error;
      }
    }
    return { what, largestOk: ok, smallestFailing: { rows: failing, error: failure } };
  });
}
