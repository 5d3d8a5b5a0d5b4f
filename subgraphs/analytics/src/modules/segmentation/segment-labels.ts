/**
 * A human label for each centroid (given in standardised units, by feature name). With recency,
 * frequency and monetary, RFM names: recent buyers who buy often and much are "Champions", recent
 * and fairly active "Loyal", recent but light "New", lapsed but valuable "At risk", lapsed and
 * light "Hibernating", the rest "Needs attention" or "Potential loyalists". Otherwise the two most
 * distinctive features, e.g. "High monetary, low tenure". Repeated labels get a number.
 */
export function segmentLabels(centroids: Record<string, number>[]): string[] {
  const labels = centroids.map((c) =>
    "recency" in c && "frequency" in c && "monetary" in c
      ? rfmLabel(c.recency, (c.frequency + c.monetary) / 2)
      : distinctive(c),
  );
  const seen = new Map<string, number>();
  return labels.map((label) => {
    const count = (seen.get(label) ?? 0) + 1;
    seen.set(label, count);
    return count === 1 ? label : `${label} ${count}`;
  });
}

function rfmLabel(recency: number, value: number): string {
  const recent = recency < -0.3;
  const lapsed = recency > 0.5;
  if (recent && value > 0.5) return "Champions";
  if (recent && value > -0.2) return "Loyal";
  if (recent) return "New";
  if (lapsed && value > 0.3) return "At risk";
  if (lapsed) return "Hibernating";
  return value > 0 ? "Potential loyalists" : "Needs attention";
}

function distinctive(centroid: Record<string, number>): string {
  return Object.entries(centroid)
    .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]))
    .slice(0, 2)
    .map(
      ([feature, z], i) =>
        `${i === 0 ? (z >= 0 ? "High" : "Low") : z >= 0 ? "high" : "low"} ${feature.replace(/_/g, " ")}`,
    )
    .join(", ");
}
