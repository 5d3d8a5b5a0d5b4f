// The dashboard's HTML panels: KPIs, the funnel, the retention heat map, the top paths, alerts,
// segments and churn risks. Each render function fills its element and returns what it shows.

export function escapeHtml(text) {
  return String(text).replace(
    /[&<>"]/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c],
  );
}

const percent = (rate, digits = 1) => `${(rate * 100).toFixed(digits)}%`;
const count = (value) => Math.round(value ?? 0).toLocaleString("en-US");

/**
 * The KPIs and the unit each is in: money in `currency` (an ISO 4217 code), counts of orders and
 * customers, the conversion rate in percent.
 */
export const KPIS = [
  { key: "revenue", label: "Revenue", unit: "currency", digits: 0 },
  { key: "orders", label: "Orders", unit: "orders" },
  { key: "activeCustomers", label: "Active customers", unit: "customers" },
  { key: "newCustomers", label: "New customers", unit: "customers" },
  { key: "averageOrderValue", label: "Avg order value", unit: "currency", digits: 2 },
  { key: "conversionRate", label: "Conversion", unit: "percent" },
];

function formatKpi(kpi, value, currency) {
  if (kpi.unit === "currency")
    return new Intl.NumberFormat("en-US", {
      style: "currency",
      currency,
      minimumFractionDigits: kpi.digits,
      maximumFractionDigits: kpi.digits,
    }).format(value ?? 0);
  if (kpi.unit === "percent") return percent(value ?? 0);
  return count(value);
}

export function renderKpis(element, summary, currency) {
  const view = {};
  element.innerHTML = KPIS.map((kpi) => {
    const { value, change } = summary[kpi.key];
    const unit = kpi.unit === "currency" ? currency : kpi.unit === "percent" ? "%" : kpi.unit;
    const text = formatKpi(kpi, value, currency);
    view[kpi.key] = { value, change, text, unit };
    const arrow =
      change == null
        ? ""
        : `<span class="change ${change >= 0 ? "up" : "down"}">${change >= 0 ? "▲" : "▼"} ${percent(Math.abs(change))}</span>`;
    return `<div class="card kpi" id="kpi-${kpi.key}"><div class="label">${kpi.label}</div><div class="value">${escapeHtml(text)}</div><div class="unit">${escapeHtml(unit)}</div>${arrow}</div>`;
  }).join("");
  return view;
}

/** Bars as wide as each step's share of step 1, with the conversion from the step before. */
export function renderFunnel(element, steps) {
  const first = steps[0]?.count || 0;
  element.innerHTML = steps
    .map((step, i) => {
      const width = first ? (step.count / first) * 100 : 0;
      const conversion =
        i === 0
          ? ""
          : `<div class="funnel-conversion">↓ ${percent(step.stepConversionRate)} of the step before</div>`;
      return `${conversion}<div class="funnel-step" data-index="${step.index}"><span class="label">${escapeHtml(step.label)}</span><div><div class="funnel-bar" style="width:${width.toFixed(2)}%"></div></div><span class="count">${step.count}</span></div>`;
    })
    .join("");
  return steps.map((step) => ({
    label: step.label,
    count: step.count,
    conversionRate: step.conversionRate,
    stepConversionRate: step.stepConversionRate,
  }));
}

/** The cohorts as rows, their periods as columns, each cell shaded by its rate. */
export function renderRetention(element, retention, format) {
  const periods = Math.max(0, ...retention.cohorts.map((cohort) => cohort.values.length));
  const header = Array.from(
    { length: periods },
    (_, k) => `<th>${k === 0 ? "size" : `+${k}`}</th>`,
  );
  const rows = retention.cohorts.map((cohort) => {
    const cells = cohort.values.map((value, k) => {
      const rate = cohort.rates[k] ?? 0;
      const shade = k === 0 ? "#eef2f7" : `rgba(11, 99, 206, ${(0.08 + rate * 0.85).toFixed(3)})`;
      const ink = k > 0 && rate > 0.5 ? "#fff" : "#1b2430";
      const title = k === 0 ? `${value} actors` : `${value} of ${cohort.size} (${percent(rate)})`;
      const text = k === 0 ? value : cohort.size ? percent(rate, 0) : "–";
      return `<td data-value="${value}" title="${title}" style="background:${shade};color:${ink}">${text}</td>`;
    });
    return `<tr><td class="cohort">${escapeHtml(format(cohort.start))}</td>${cells.join("")}</tr>`;
  });
  element.innerHTML = retention.cohorts.length
    ? `<table class="heatmap"><tr><th>cohort</th>${header.join("")}</tr>${rows.join("")}</table>`
    : `<p class="note">No cohorts in this range.</p>`;
  return retention.cohorts.map((cohort) => ({
    start: cohort.start,
    size: cohort.size,
    values: cohort.values,
  }));
}

/** The top path edges as a flow list: step, from, to, how many paths, a bar. */
export function renderPaths(element, edges) {
  const top = Math.max(1, ...edges.map((edge) => edge.count));
  element.innerHTML = edges.length
    ? `<div class="flow"><b>step</b><b>from</b><b>to</b><b>paths</b><span></span>${edges
        .map(
          (edge) =>
            `<span>${edge.step}</span><span>${escapeHtml(edge.source)}</span><span>→ ${escapeHtml(edge.target)}</span><span class="count">${edge.count}</span><div class="bar" style="width:${((edge.count / top) * 100).toFixed(1)}%"></div>`,
        )
        .join("")}</div>`
    : `<p class="note">No paths in this range.</p>`;
  return edges.map(({ step, source, target, count: paths }) => ({
    step,
    source,
    target,
    count: paths,
  }));
}

/**
 * The alerts, newest first, with Acknowledge (FIRING) and Resolve (FIRING or ACKNOWLEDGED)
 * buttons that call `act(id, "acknowledge" | "resolve")`.
 */
export function renderAlerts(element, alerts, act) {
  element.innerHTML = alerts.length
    ? `<tr><th>Rule</th><th>Value</th><th>Fired</th><th>Status</th><th></th></tr>${alerts
        .map((alert) => {
          const buttons = [
            alert.status === "FIRING" &&
              `<button data-act="acknowledge" data-id="${alert.id}">Acknowledge</button>`,
            alert.status !== "RESOLVED" &&
              `<button data-act="resolve" data-id="${alert.id}">Resolve</button>`,
          ].filter(Boolean);
          const by = alert.acknowledgedBy ? ` by ${escapeHtml(alert.acknowledgedBy.name)}` : "";
          return `<tr class="alert-row" data-id="${alert.id}"><td>${escapeHtml(alert.rule.name)}</td><td>${alert.value.toLocaleString("en-US")} (${alert.condition.toLowerCase()} ${alert.threshold.toLocaleString("en-US")})</td><td>${new Date(alert.triggeredAt).toLocaleString()}</td><td class="status status-${alert.status}">${alert.status}${by}</td><td>${buttons.join("")}</td></tr>`;
        })
        .join("")}`
    : "<tr><td>No alerts.</td></tr>";
  for (const button of element.querySelectorAll("button[data-act]"))
    button.addEventListener("click", () => {
      button.disabled = true;
      act(button.dataset.id, button.dataset.act);
    });
  return alerts.map(({ id, status }) => ({ id, status }));
}

export function renderSegments(element, segmentation) {
  const segments = segmentation?.segments ?? [];
  element.innerHTML = segments.length
    ? `<tr><th>Segment</th><th>Customers</th><th>Share</th></tr>${segments.map((s) => `<tr><td>${escapeHtml(s.label)}</td><td>${s.size}</td><td>${percent(s.share)}</td></tr>`).join("")}`
    : "<tr><td>No segmentation yet: run runSegmentation.</td></tr>";
  return segments.map(({ label, size }) => ({ label, size }));
}

export function renderChurn(element, connection) {
  const risks = connection.edges.map((edge) => edge.node);
  element.innerHTML = risks.length
    ? `<tr><th>Customer</th><th>Probability</th><th>Band</th></tr>${risks.map((r) => `<tr><td>${escapeHtml(r.customer?.name ?? "?")}</td><td>${percent(r.probability, 0)}</td><td>${r.band}</td></tr>`).join("")}`
    : "<tr><td>No churn model yet: run trainChurnModel.</td></tr>";
  return risks.map((risk) => ({
    name: risk.customer?.name ?? null,
    probability: risk.probability,
  }));
}
