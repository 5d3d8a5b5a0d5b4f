import net from "node:net";

/** Thrown when a port a service needs is already in use. */
export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly purpose: string,
  ) {
    super(
      `Port ${port} (${purpose}) is already in use. Stop whatever listens there, or choose another port with the environment variable for it (see README).`,
    );
    this.name = "PortInUseError";
  }
}

/** Resolves when nothing listens on `port` (any interface); rejects with {@link PortInUseError}. */
export async function assertPortFree(port: number, purpose: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", (error: NodeJS.ErrnoException) =>
      reject(error.code === "EADDRINUSE" ? new PortInUseError(port, purpose) : error),
    );
    probe.listen({ port }, () => probe.close(() => resolve()));
  });
}

/** A TCP port nothing listens on right now (any interface), chosen by the operating system. */
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
