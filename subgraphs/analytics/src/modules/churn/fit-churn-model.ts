import { fitLogistic, type LogisticModel } from "../ml/logistic-regression";
import { matrix, type Matrix } from "../ml/matrix";
import { encode, fitEncoder, type EncodedFeature, type RawColumns } from "./feature-encoder";

export interface ChurnFitInput {
  /** Every customer's raw inputs. */
  columns: RawColumns;
  /** The training customers: indexes into the columns. */
  train: ArrayLike<number>;
  /** Their labels, in the order of `train`. */
  labels: ArrayLike<number>;
  /** L2 penalty (scikit-learn's 1 / C). */
  l2: number;
}

export interface ChurnFit {
  /** The encoder, fitted on the training customers. */
  encoder: EncodedFeature[];
  /** Every customer encoded with it, a row each, in the columns' order. */
  all: Matrix;
  /** The logistic model, fitted on the training customers' rows of `all`. */
  model: LogisticModel;
}

/**
 * The CPU-heavy part of a churn training, all of it in one ML worker task (`fitChurnModel`): the
 * encoder fitted on the training customers, everyone encoded, the logistic model fitted. A pure
 * function of its input.
 */
export function fitChurnModel({ columns, train, labels, l2 }: ChurnFitInput): ChurnFit {
  const encoder = fitEncoder(columns, train);
  const all = encode(columns, encoder);
  const x = matrix(train.length, all.cols);
  for (let i = 0; i < train.length; i++)
    x.data.set(all.data.subarray(train[i] * all.cols, (train[i] + 1) * all.cols), i * all.cols);
  return { encoder, all, model: fitLogistic(x, labels, { l2 }) };
}
