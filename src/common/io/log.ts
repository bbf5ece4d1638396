// One line per event, logfmt-style, no colours: readable in the journal and greppable.
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

function formatValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /^[^\s"=]+$/.test(text ?? '') ? (text as string) : JSON.stringify(text);
}

export function formatLogLine(level: string, message: string, fields: Record<string, unknown> = {}): string {
  const parts = [`level=${level}`, `msg=${formatValue(message)}`];
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) parts.push(`${key}=${formatValue(value)}`);
  return parts.join(' ');
}

export function createLogger(write: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Logger {
  return {
    info: (message, fields) => write(formatLogLine('info', message, fields)),
    warn: (message, fields) => write(formatLogLine('warn', message, fields)),
    error: (message, fields) => write(formatLogLine('error', message, fields)),
  };
}

/** A logger that keeps lines in memory (tests). */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return Object.assign(createLogger((line) => lines.push(line)), { lines });
}
