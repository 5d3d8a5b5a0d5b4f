import net from "node:net";

/**
 * A TCP port nothing listens on right now, chosen by the operating system. Probed on every
 * interface, as the services listen on every interface.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen({ port: 0 }, () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** `count` distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  for (let attempt = 0; ports.size < count && attempt < count * 10; attempt++) ports.add(await freePort());
  if (ports.size < count) throw new Error(`Could not find ${count} free ports.`);
  return [...ports];
}
