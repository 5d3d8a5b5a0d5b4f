import type { CohortDefinition } from "./cohort-rules";

/** How long a cached list serves without a change being heard of (a lost message's bound). */
const MAX_AGE_MS = 60_000;

/**
 * The organizations' cohort definitions, as this process last read them: `Customer.cohorts`
 * then costs one statement (the membership) instead of two. Every replica drops an
 * organization's entry when it hears that its cohorts changed (RealtimeHub.publishCohortsChanged,
 * sent by createCohort and deleteCohort after they commit); an entry older than a minute is read
 * again in any case.
 */
export class CohortDefinitionCache {
  private readonly entries = new Map<
    string,
    { readAt: number; list: Promise<CohortDefinition[]> }
  >();

  constructor(private readonly maxAgeMs = MAX_AGE_MS) {}

  /** The organization's definitions: the cached list, else what `read` resolves (not kept if it fails). */
  get(
    organizationId: string,
    read: () => Promise<CohortDefinition[]>,
  ): Promise<CohortDefinition[]> {
    const entry = this.entries.get(organizationId);
    if (entry && Date.now() - entry.readAt < this.maxAgeMs) return entry.list;
    const list = read();
    const fresh = { readAt: Date.now(), list };
    this.entries.set(organizationId, fresh);
    list.catch(() => {
      if (this.entries.get(organizationId) === fresh) this.entries.delete(organizationId);
    });
    return list;
  }

  /** Forgets the organization's definitions: the next read lists them again. */
  invalidate(organizationId: string): void {
    this.entries.delete(organizationId);
  }
}
