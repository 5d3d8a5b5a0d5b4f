/**
 * Makes this process drop what it writes to stdout and stderr once nobody reads them (EPIPE: the
 * launcher that read them is gone, `npm start | head` has ended), instead of crashing on the
 * write: the process goes on to serve, or to shut down in order. Other write errors stay fatal.
 */
export function dropOutputOnceClosed(): void {
  for (const stream of [process.stdout, process.stderr])
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE") throw error;
    });
}
