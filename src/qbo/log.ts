/** The logging the client needs, structurally (pino satisfies it); qbo/ imports nothing from src/. */
export interface QboLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: QboLogger = { debug() {}, info() {}, warn() {}, error() {} };
