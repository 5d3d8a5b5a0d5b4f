import type { FunnelOutcomes } from "./funnel-outcomes";

/**
 * The customers (identified actors) of one step of a funnel or of one of its breakdowns: those
 * whose counted attempt reached the step, or, `dropped`, reached it and not the next. Ids in
 * ascending order, computed when first asked.
 */
export class FunnelMembers {
  private reached?: string[];
  private dropped?: string[];

  constructor(
    private readonly outcomes: FunnelOutcomes,
    /** The actors of the funnel or breakdown: indexes in `outcomes`. */
    private readonly actors: Int32Array,
    /** 0-based. */
    private readonly step: number,
    private readonly steps: number,
  ) {}

  customerIds(dropped: boolean): string[] {
    if (dropped) {
      // Nobody drops after the last step.
      return (this.dropped ??=
        this.step === this.steps - 1 ? [] : this.collect((level) => level === this.step + 1));
    }
    return (this.reached ??= this.collect((level) => level > this.step));
  }

  private collect(keep: (level: number) => boolean): string[] {
    const ids: string[] = [];
    for (const i of this.actors) {
      const customerId = this.outcomes.customerId(i);
      if (customerId !== null && keep(this.outcomes.level(i))) ids.push(customerId);
    }
    return ids.sort();
  }
}
