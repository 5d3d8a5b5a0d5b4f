#!/usr/bin/env python3
"""scikit-learn reference computations for bench/quality (run by dist/bench/quality/run.js).

Reads the matrices the TypeScript side wrote (CSV with one header line, or raw little-endian
float64 for the large synthetic set), runs the scikit-learn estimator the brief names and prints
ONE JSON object on stdout. Anything else goes to stderr.

  versions
  kmeans   --x X.csv --labels ours.csv --k 5 --n-init 10 --random-state 0 --sample-size 3000 [--exact] [--silhouette-seeds 10]
  logistic --train X.csv --train-labels y.csv --test X.csv --test-labels y.csv [--our-scores s.csv] [--our-coef c.csv] [--C 1.0]
  logistic-binary --x X.f64 --y y.f64 --rows N --cols P [--our-coef c.csv] [--C 1.0]
                  [--x-test X.f64 --y-test y.f64 --test-rows M [--our-scores s.f64]] [--single-thread]
  retail-rfm --csv OnlineRetail.csv --as-of ISO --ours ours.csv --k 4 --n-init 10 --random-state 0
"""
import argparse
import json
import platform
import sys
import time

import numpy as np


def load_csv(path, ndmin=2, dtype=float):
    return np.loadtxt(path, delimiter=",", skiprows=1, ndmin=ndmin, dtype=dtype)


def cmd_versions(_args):
    import scipy
    import sklearn
    from threadpoolctl import threadpool_info

    pools = [{"api": p.get("internal_api"), "threads": p.get("num_threads"), "arch": p.get("architecture")} for p in threadpool_info()]
    return {
        "python": platform.python_version(),
        "executable": sys.executable,
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "threadpools": pools,
    }


def cmd_kmeans(args):
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from threadpoolctl import threadpool_limits

    x = load_csv(args.x)
    ours = load_csv(args.labels, ndmin=1, dtype=np.int64)
    # As the brief names it, with the default thread pools.
    started = time.perf_counter()
    km = KMeans(n_clusters=args.k, n_init=args.n_init, random_state=args.random_state).fit(x)
    fit_seconds = time.perf_counter() - started
    # The same fit on one thread (ours runs on one), for a like-for-like time.
    with threadpool_limits(limits=1):
        started = time.perf_counter()
        single = KMeans(n_clusters=args.k, n_init=args.n_init, random_state=args.random_state).fit(x)
        single_seconds = time.perf_counter() - started
        # Diagnostic: Lloyd run to full convergence (tol=0), as our tolerance nearly does.
        started = time.perf_counter()
        full = KMeans(n_clusters=args.k, n_init=args.n_init, random_state=args.random_state, tol=0).fit(x)
        full_seconds = time.perf_counter() - started

    # Our labels' inertia with each centroid at its cluster's mean (the best centroids for those labels).
    ours_inertia_recomputed = 0.0
    for c in np.unique(ours):
        members = x[ours == c]
        ours_inertia_recomputed += float(((members - members.mean(axis=0)) ** 2).sum())

    out = {
        "rows": int(x.shape[0]),
        "cols": int(x.shape[1]),
        "inertia": float(km.inertia_),
        "iterations": int(km.n_iter_),
        "fitSeconds": fit_seconds,
        "singleThreadSeconds": single_seconds,
        "singleThreadInertia": float(single.inertia_),
        "tol0Inertia": float(full.inertia_),
        "tol0Iterations": int(full.n_iter_),
        "tol0Seconds": full_seconds,
        "clusterSizes": sorted(np.bincount(km.labels_, minlength=args.k).tolist(), reverse=True),
        "oursInertiaRecomputed": ours_inertia_recomputed,
        "silhouetteSampledOurLabels": float(silhouette_score(x, ours, sample_size=args.sample_size, random_state=args.random_state)),
        "silhouetteSampledSklearnLabels": float(silhouette_score(x, km.labels_, sample_size=args.sample_size, random_state=args.random_state)),
        # The spread of the sampled score over random_state 0..n-1, to tell sampling noise from bias.
        "silhouetteSampledOurLabelsBySeed": [
            float(silhouette_score(x, ours, sample_size=args.sample_size, random_state=seed)) for seed in range(args.silhouette_seeds)
        ],
    }
    if args.exact:
        out["silhouetteExactOurLabels"] = float(silhouette_score(x, ours))
        out["silhouetteExactSklearnLabels"] = float(silhouette_score(x, km.labels_))
    return out


def fit_logistic(x, y, c, tol=None):
    from sklearn.linear_model import LogisticRegression

    kwargs = {"C": c, "max_iter": 10000}
    if tol is not None:
        kwargs["tol"] = tol
    started = time.perf_counter()
    model = LogisticRegression(**kwargs).fit(x, y)
    return model, time.perf_counter() - started


def objective(x, y, intercept, coef, c):
    """The penalised negative log-likelihood both sides minimise, and its largest gradient component."""
    from scipy.special import expit

    coef = np.asarray(coef, dtype=float)
    z = x @ coef + intercept
    loss = float(np.logaddexp(0.0, -(2 * y - 1) * z).sum() + 0.5 * coef @ coef / c)
    residual = expit(z) - y
    gradient = np.concatenate(([residual.sum()], x.T @ residual + coef / c))
    return {"objective": loss, "maxGradient": float(np.abs(gradient).max())}


def describe(model, seconds):
    return {
        "intercept": float(model.intercept_[0]),
        "coef": [float(v) for v in model.coef_[0]],
        "iterations": int(np.max(model.n_iter_)),
        "fitSeconds": seconds,
    }


def cmd_logistic(args):
    from sklearn.metrics import roc_auc_score

    x_train = load_csv(args.train)
    y_train = load_csv(args.train_labels, ndmin=1, dtype=np.int64)
    x_test = load_csv(args.test)
    y_test = load_csv(args.test_labels, ndmin=1, dtype=np.int64)
    out = {"trainRows": int(x_train.shape[0]), "testRows": int(x_test.shape[0]), "cols": int(x_train.shape[1])}

    # As the brief names it: LogisticRegression(C=1.0, max_iter=10000), lbfgs with its default tol.
    model, seconds = fit_logistic(x_train, y_train, args.C)
    out["default"] = describe(model, seconds)
    out["default"]["auc"] = float(roc_auc_score(y_test, model.predict_proba(x_test)[:, 1]))
    # The same objective solved to a tight tolerance, to tell solver tolerance from a real difference.
    tight, seconds = fit_logistic(x_train, y_train, args.C, tol=1e-10)
    out["tight"] = describe(tight, seconds)
    out["tight"]["auc"] = float(roc_auc_score(y_test, tight.predict_proba(x_test)[:, 1]))
    if args.our_scores:
        ours = load_csv(args.our_scores, ndmin=1)
        out["aucOfOurScores"] = float(roc_auc_score(y_test, ours))
    add_objectives(out, x_train, y_train, args)
    return out


def add_objectives(out, x, y, args):
    """Each fit's objective value and gradient on the training data (ours too, given --our-coef: intercept first)."""
    for name in ("default", "tight"):
        out[name].update(objective(x, y, out[name]["intercept"], out[name]["coef"], args.C))
    if args.our_coef:
        ours = load_csv(args.our_coef, ndmin=1)
        out["ours"] = objective(x, y, ours[0], ours[1:], args.C)


def cmd_logistic_binary(args):
    x = np.fromfile(args.x, dtype="<f8").reshape(args.rows, args.cols)
    y = np.fromfile(args.y, dtype="<f8").astype(np.int64)
    model, seconds = fit_logistic(x, y, args.C)
    out = {"default": describe(model, seconds)}
    tight, seconds = fit_logistic(x, y, args.C, tol=1e-10)
    out["tight"] = describe(tight, seconds)
    if args.single_thread:
        # The same default fit on one thread (ours runs on one), for a like-for-like time.
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            _, out["default"]["singleThreadSeconds"] = fit_logistic(x, y, args.C)
    if args.x_test:
        # Held-out rows (the same split as ours): the AUC of both fits, and of our own scores.
        from sklearn.metrics import roc_auc_score

        x_test = np.fromfile(args.x_test, dtype="<f8").reshape(args.test_rows, args.cols)
        y_test = np.fromfile(args.y_test, dtype="<f8").astype(np.int64)
        out["testRows"] = int(x_test.shape[0])
        out["default"]["auc"] = float(roc_auc_score(y_test, model.predict_proba(x_test)[:, 1]))
        out["tight"]["auc"] = float(roc_auc_score(y_test, tight.predict_proba(x_test)[:, 1]))
        if args.our_scores:
            ours = np.fromfile(args.our_scores, dtype="<f8")
            out["aucOfOurScores"] = float(roc_auc_score(y_test, ours))
    add_objectives(out, x, y, args)
    return out


def cmd_retail_rfm(args):
    """Textbook RFM of an Online Retail CSV, scikit-learn's k-means on it, and our labels compared.

    Textbook features (the usual Online Retail recipe): the rows of invoices not starting with "C",
    with a customer id, a quantity above 0 and a unit price above 0; per customer, recency = days
    from the last invoice to --as-of, frequency = distinct invoices, monetary = sum of quantity x
    unit price. Feature space (the same as our segmentation's prepareFeatures): log1p of each
    feature whose sample skewness (scipy.stats.skew, biased) exceeds 1, then StandardScaler (mean
    0, population standard deviation 1). KMeans(n_clusters=k, n_init, random_state) there.
    --ours: externalId,label,recency,frequency,monetary as our import and segmentation gave them.
    """
    import csv
    from datetime import datetime, timezone
    from scipy.stats import skew
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score, silhouette_score
    from sklearn.preprocessing import StandardScaler

    as_of = datetime.fromisoformat(args.as_of.replace("Z", "+00:00"))
    invoices, monetary, last = {}, {}, {}
    with open(args.csv, newline="") as f:
        for row in csv.DictReader(f):
            customer = row["CustomerID"].strip()
            if customer.endswith(".0"):
                customer = customer[:-2]
            invoice = row["InvoiceNo"].strip()
            quantity, price = float(row["Quantity"]), float(row["UnitPrice"])
            if not customer or invoice.upper().startswith("C") or quantity <= 0 or price <= 0:
                continue
            when = datetime.strptime(row["InvoiceDate"].strip(), "%m/%d/%Y %H:%M").replace(tzinfo=timezone.utc)
            invoices.setdefault(customer, set()).add(invoice)
            monetary[customer] = monetary.get(customer, 0.0) + quantity * price
            last[customer] = max(last.get(customer, when), when)
    customers = sorted(invoices)
    raw = np.array(
        [[(as_of - last[c]).total_seconds() / 86400, len(invoices[c]), monetary[c]] for c in customers]
    )
    logged = [bool((raw[:, j] >= 0).all() and skew(raw[:, j]) > 1) for j in range(3)]
    shaped = raw.copy()
    for j in range(3):
        if logged[j]:
            shaped[:, j] = np.log1p(shaped[:, j])
    x = StandardScaler().fit_transform(shaped)
    km = KMeans(n_clusters=args.k, n_init=args.n_init, random_state=args.random_state).fit(x)

    ours = {}
    with open(args.ours, newline="") as f:
        for row in csv.DictReader(f):
            ours[row["externalId"]] = row
    missing = [c for c in customers if c not in ours]
    extra = [c for c in ours if c not in invoices]
    common = [c for c in customers if c in ours]
    index = {c: i for i, c in enumerate(customers)}
    our_labels = np.array([int(ours[c]["label"]) for c in common])
    rows = np.array([index[c] for c in common])
    gaps = {}
    for j, name in enumerate(["recency", "frequency", "monetary"]):
        gaps[name] = float(max(abs(float(ours[c][name]) - raw[index[c], j]) for c in common))
    ours_inertia = 0.0
    for label in np.unique(our_labels):
        members = x[rows[our_labels == label]]
        ours_inertia += float(((members - members.mean(axis=0)) ** 2).sum())
    return {
        "customers": len(customers),
        "ourCustomers": len(ours),
        "missing": len(missing),
        "extra": len(extra),
        "logged": [name for name, flag in zip(["recency", "frequency", "monetary"], logged) if flag],
        "featureGaps": gaps,
        "sklearnInertia": float(km.inertia_),
        "oursInertia": ours_inertia,
        "sklearnSilhouette": float(silhouette_score(x, km.labels_)),
        "oursSilhouette": float(silhouette_score(x[rows], our_labels)),
        "adjustedRandIndex": float(adjusted_rand_score(km.labels_[rows], our_labels)),
        "sklearnSizes": sorted(np.bincount(km.labels_, minlength=args.k).tolist(), reverse=True),
        "oursSizes": sorted(np.bincount(our_labels, minlength=args.k).tolist(), reverse=True),
        "means": [float(v) for v in raw.mean(axis=0)],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("versions")
    km = sub.add_parser("kmeans")
    km.add_argument("--x", required=True)
    km.add_argument("--labels", required=True)
    km.add_argument("--k", type=int, default=5)
    km.add_argument("--n-init", type=int, default=10)
    km.add_argument("--random-state", type=int, default=0)
    km.add_argument("--sample-size", type=int, default=3000)
    km.add_argument("--exact", action="store_true")
    km.add_argument("--silhouette-seeds", type=int, default=10)
    lr = sub.add_parser("logistic")
    lr.add_argument("--train", required=True)
    lr.add_argument("--train-labels", required=True)
    lr.add_argument("--test", required=True)
    lr.add_argument("--test-labels", required=True)
    lr.add_argument("--our-scores")
    lr.add_argument("--our-coef")
    lr.add_argument("--C", type=float, default=1.0)
    lb = sub.add_parser("logistic-binary")
    lb.add_argument("--x", required=True)
    lb.add_argument("--y", required=True)
    lb.add_argument("--rows", type=int, required=True)
    lb.add_argument("--cols", type=int, required=True)
    lb.add_argument("--our-coef")
    lb.add_argument("--C", type=float, default=1.0)
    lb.add_argument("--x-test")
    lb.add_argument("--y-test")
    lb.add_argument("--test-rows", type=int)
    lb.add_argument("--our-scores")
    lb.add_argument("--single-thread", action="store_true")
    rr = sub.add_parser("retail-rfm")
    rr.add_argument("--csv", required=True)
    rr.add_argument("--as-of", required=True)
    rr.add_argument("--ours", required=True)
    rr.add_argument("--k", type=int, default=4)
    rr.add_argument("--n-init", type=int, default=10)
    rr.add_argument("--random-state", type=int, default=0)
    args = parser.parse_args()
    handlers = {"versions": cmd_versions, "kmeans": cmd_kmeans, "logistic": cmd_logistic, "logistic-binary": cmd_logistic_binary, "retail-rfm": cmd_retail_rfm}
    print(json.dumps(handlers[args.command](args)))


if __name__ == "__main__":
    main()
