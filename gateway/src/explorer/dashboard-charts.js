// The dashboard's Chart.js charts (the UMD build the page loads as the global `Chart`). Lines are
// drawn with monotone interpolation, which never overshoots the data: no curve dips below zero or
// rises above the highest point between two buckets.

const BASE_OPTIONS = {
  responsive: true,
  maintainAspectRatio: false,
  animation: false,
  interaction: { mode: "index", intersect: false },
};

/** A bucket's label in `timeZone`: "12-07" for days and longer, "14h" for hours. */
export function bucketLabel(bucket, interval, timeZone) {
  const options =
    interval === "HOUR" || interval === "MINUTE"
      ? { hour: "2-digit", hourCycle: "h23" }
      : interval === "MONTH"
        ? { year: "numeric", month: "2-digit" }
        : { month: "2-digit", day: "2-digit" };
  const text = new Intl.DateTimeFormat("en-CA", { timeZone, ...options }).format(new Date(bucket));
  return interval === "HOUR" || interval === "MINUTE" ? `${text}h` : text;
}

/**
 * A metric's line with the anomaly detector's band: `value` per bucket, the band between `lower`
 * and `upper` (absent until the detector has enough history) and the anomalous buckets as red
 * points.
 */
export function bandChart(canvas, label, color) {
  return new Chart(canvas, {
    type: "line",
    data: {
      labels: [],
      datasets: [
        {
          label,
          data: [],
          borderColor: color,
          backgroundColor: color,
          cubicInterpolationMode: "monotone",
          pointRadius: [],
          pointBackgroundColor: "#c0392b",
          order: 0,
        },
        {
          label: "expected",
          data: [],
          borderColor: "#7f8c8d",
          borderDash: [4, 4],
          borderWidth: 1,
          pointRadius: 0,
          cubicInterpolationMode: "monotone",
          order: 1,
        },
        {
          label: "band low",
          data: [],
          borderColor: "transparent",
          pointRadius: 0,
          tension: 0,
          order: 2,
        },
        {
          label: "band high",
          data: [],
          borderColor: "transparent",
          backgroundColor: `${color}22`,
          pointRadius: 0,
          tension: 0,
          // Filled down to the "band low" line.
          fill: "-1",
          order: 2,
        },
      ],
    },
    options: {
      ...BASE_OPTIONS,
      scales: { x: { ticks: { maxTicksLimit: 8 } }, y: { min: 0 } },
      plugins: { legend: { labels: { filter: (item) => !item.text.startsWith("band") } } },
    },
  });
}

/**
 * Shows a series and its anomaly band. `points` are the timeseries' points; `band` the anomalies'
 * points, matched by bucket (a bucket without one has no band).
 */
export function setBandSeries(chart, points, band, format) {
  const byBucket = new Map(band.map((point) => [Date.parse(point.bucket), point]));
  const at = (point) => byBucket.get(Date.parse(point.bucket));
  chart.$buckets = points.map((point) => point.bucket);
  chart.data.labels = points.map((point) => format(point.bucket));
  const [value, expected, lower, upper] = chart.data.datasets;
  value.data = points.map((point) => point.value);
  value.pointRadius = points.map((point) => (at(point)?.anomaly ? 4 : 0));
  expected.data = points.map((point) => at(point)?.expected ?? null);
  lower.data = points.map((point) => at(point)?.lower ?? null);
  upper.data = points.map((point) => at(point)?.upper ?? null);
  chart.update();
}

/** A live value: replaces its bucket's point, or appends a new bucket (with no band yet). */
export function applyLivePoint(chart, point, format) {
  const index = chart.$buckets.findIndex(
    (bucket) => Date.parse(bucket) === Date.parse(point.bucket),
  );
  const [value, ...band] = chart.data.datasets;
  if (index >= 0) value.data[index] = point.value;
  else {
    chart.$buckets.push(point.bucket);
    chart.data.labels.push(format(point.bucket));
    value.data.push(point.value);
    value.pointRadius.push(0);
    for (const dataset of band) dataset.data.push(null);
  }
  chart.update();
}

/** The lifecycle's stacked bars: new, returning and resurrecting above the axis, dormant below. */
export function lifecycleChart(canvas) {
  const bar = (label, color) => ({ label, data: [], backgroundColor: color, stack: "actors" });
  return new Chart(canvas, {
    type: "bar",
    data: {
      labels: [],
      datasets: [
        bar("new", "#18804b"),
        bar("returning", "#0b63ce"),
        bar("resurrecting", "#f39c12"),
        bar("dormant", "#c0392b"),
      ],
    },
    options: {
      ...BASE_OPTIONS,
      scales: { x: { stacked: true, ticks: { maxTicksLimit: 10 } }, y: { stacked: true } },
    },
  });
}

/** Shows lifecycle points; dormant actors count downwards (as negative bars). */
export function setLifecycle(chart, points, format) {
  chart.data.labels = points.map((point) => format(point.bucket));
  const [fresh, returning, resurrecting, dormant] = chart.data.datasets;
  fresh.data = points.map((point) => point.new);
  returning.data = points.map((point) => point.returning);
  resurrecting.data = points.map((point) => point.resurrecting);
  dormant.data = points.map((point) => -point.dormant);
  chart.update();
}

/** The stickiness histogram: actors by the number of intervals they were active in. */
export function stickinessChart(canvas) {
  return new Chart(canvas, {
    type: "bar",
    data: { labels: [], datasets: [{ label: "actors", data: [], backgroundColor: "#16a085" }] },
    options: {
      ...BASE_OPTIONS,
      scales: { x: { title: { display: true, text: "" } }, y: { min: 0 } },
    },
  });
}

/** Shows stickiness buckets: one bar per number of intervals, `unit` naming them ("days"). */
export function setStickiness(chart, buckets, unit) {
  chart.options.scales.x.title.text = `${unit} with the event`;
  chart.data.labels = buckets.map((bucket) => String(bucket.intervals));
  chart.data.datasets[0].data = buckets.map((bucket) => bucket.actors);
  chart.update();
}
