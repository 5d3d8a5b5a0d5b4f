/** The arrays actors' events are laid out in for the engine, kept from one actor to the next. */
let arrays = {
  times: new Float64Array(4096),
  steps: new Int32Array(4096),
  exclusions: new Int32Array(4096),
};

/**
 * Arrays for at least `length` events of one actor, as funnel-engine.ts reads them: valid until
 * the next call (the funnel runs one actor at a time, synchronously).
 */
export function eventArrays(length: number): typeof arrays {
  if (arrays.times.length < length) {
    const size = Math.max(length, arrays.times.length * 2);
    arrays = {
      times: new Float64Array(size),
      steps: new Int32Array(size),
      exclusions: new Int32Array(size),
    };
  }
  return arrays;
}
