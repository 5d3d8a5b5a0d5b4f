import { freePort } from "#kit/http/ports";

export { freePort };

/** `count` distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  for (let attempt = 0; ports.size < count && attempt < count * 10; attempt++)
    ports.add(await freePort());
  if (ports.size < count) throw new Error(`Could not find ${count} free ports.`);
  return [...ports];
}
