import { createJsonLogger, type Logger } from '@herald/runtime';

/**
 * The real JSON logger writing into memory, so tests see exactly what production would print.
 * Shared by the packages' tests (`packages/<name>/tests`), which import it by path.
 */
export class RecordingLogger {
  readonly lines: string[] = [];
  readonly logger: Logger = createJsonLogger({}, (line) => this.lines.push(line));

  get entries(): Record<string, unknown>[] {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** Everything logged, as one string: for "this never appears in a log" assertions. */
  get text(): string {
    return this.lines.join('\n');
  }
}
