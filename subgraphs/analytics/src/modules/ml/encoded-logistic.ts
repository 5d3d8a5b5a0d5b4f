import { fitLogistic, type LogisticModel } from "./logistic-regression";
import { matrix, type Matrix } from "./matrix";
import { encode, fitEncoder, type EncodedFeature, type RawColumns } from "./feature-encoder";

export interface EncodedLogisticInput {
  /** Every record's raw inputs. */
  columns: RawColumns;
  /** The training records: indexes into the columns. */
  train: ArrayLike<number>;
  /** Their labels, in the order of `train`. */
  labels: ArrayLike<number>;
  /** L2 penalty (scikit-learn's 1 / C). */
  l2: number;
}

export interface EncodedLogisticFit {
  /** The encoder, fitted on the training records. */
  encoder: EncodedFeature[];
  /** Every record encoded with it, a row each, in the columns' order. */
  all: Matrix;
  /** The logistic model, fitted on the training rows of `all`. */
  model: LogisticModel;
}

/**
 * A logistic regression on raw columns: the encoder fitted on the training records, every record
 * encoded with it, the model fitted on the training rows. The CPU-heavy part of a churn training,
 * run as one ML worker task. A pure function of its input.
 */
export function fitEncodedLogistic({
  columns,
  train,
  labels,
  l2,
}: EncodedLogisticInput): EncodedLogisticFit {
  const encoder = fitEncoder(columns, train);
  const all = encode(columns, encoder);
  const x = matrix(train.length, all.cols);
  for (let i = 0; i < train.length; i++)
    x.data.set(all.data.subarray(train[i] * all.cols, (train[i] + 1) * all.cols), i * all.cols);
  return { encoder, all, model: fitLogistic(x, labels, { l2 }) };
}
