/**
 * How a funnel's actors went through it: each actor's counted attempt (actors reaching no step
 * are left out), column by column, so that a funnel of hundreds of thousands of actors keeps no
 * object per actor for the garbage collector to move.
 */
export class FunnelOutcomes {
  /** Actors kept, numbered from 0 in the order they were added. */
  size = 0;
  private levels = new Uint8Array(1024);
  /** Per actor, one slot per step: when its steps 1..level happened (microseconds). */
  private times: Float64Array;
  private readonly customers: (string | null)[] = [];
  private readonly groups: (string | null)[] = [];

  constructor(private readonly steps: number) {
    this.times = new Float64Array(1024 * steps);
  }

  /**
   * Keeps an actor's counted attempt (nothing when it reached no step): its customer (null for
   * an anonymous visitor), the steps it reached, when it reached them (microseconds; none for
   * UNORDERED) and the breakdown value of its first event (null without one).
   */
  add(
    customerId: string | null,
    level: number,
    stepTimes: ArrayLike<number>,
    group: string | null,
  ): void {
    if (level === 0) return;
    const i = this.size++;
    if (i === this.levels.length) {
      const levels = new Uint8Array(i * 2);
      levels.set(this.levels);
      this.levels = levels;
      const times = new Float64Array(i * 2 * this.steps);
      times.set(this.times);
      this.times = times;
    }
    this.levels[i] = level;
    for (let k = 0; k < stepTimes.length; k++) this.times[i * this.steps + k] = stepTimes[k];
    this.customers.push(customerId);
    this.groups.push(group);
  }

  /** Steps actor `i` reached, 1 to the funnel's length. */
  level(i: number): number {
    return this.levels[i];
  }

  /**
   * Whole microseconds actor `i` took from step k - 1 to step k (1 ≤ k < its level); only for
   * ORDERED and STRICT, whose steps have an order.
   */
  microsToConvert(i: number, k: number): number {
    return this.times[i * this.steps + k] - this.times[i * this.steps + k - 1];
  }

  /** Actor `i`'s customer; null for an anonymous visitor. */
  customerId(i: number): string | null {
    return this.customers[i];
  }

  /** The breakdown value of actor `i`'s counted attempt (null without one, or no breakdown). */
  group(i: number): string | null {
    return this.groups[i];
  }
}
