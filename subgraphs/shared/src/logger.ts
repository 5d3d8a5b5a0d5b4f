/** A minimal line logger tagged with the service name; silenced with `LOG_LEVEL=silent`. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string, error?: unknown): void;
}

export function createLogger(service: string): Logger {
  const silent = () => process.env.LOG_LEVEL === "silent";
  const line = (level: string, message: string) => `${new Date().toISOString()} ${level.padEnd(5)} [${service}] ${message}`;
  return {
    info: (message) => void (silent() || console.log(line("info", message))),
    warn: (message) => void (silent() || console.warn(line("warn", message))),
    error: (message, error) => void (silent() || (error === undefined ? console.error(line("error", message)) : console.error(line("error", message), error))),
  };
}
