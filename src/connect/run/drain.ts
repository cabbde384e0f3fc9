/**
 * Draining: what a process does between a stop signal (SIGTERM, SIGINT) and its exit (issue 17). It
 * stops taking work — a new sync is refused (`run.draining`, 503) and the web app refuses every
 * change — while the syncs already running write their current batch, close out their run as
 * `interrupted` with the records not reached named "not sent", and release their company's lock.
 * `/readyz` answers 503 meanwhile, so a load balancer sends nobody here. One per process, built by
 * the composition root and handed down on the context.
 */
import { refusal } from './reasons.js';

export interface DrainState {
  /** The signal (or reason) that began the drain. */
  signal: string;
  /** When it began, on the injected clock. */
  since: string;
}

export class Drain {
  private begun: DrainState | undefined;
  private readonly runs = new Map<string, Promise<unknown>>();
  private readonly stopping = new AbortController();

  /** Aborted by `begin`: a wait inside a run (recovery's processing window) ends at once and the run closes interrupted. */
  get signal(): AbortSignal {
    return this.stopping.signal;
  }

  /** True from the stop signal on: nothing new starts, running syncs stop between batches. */
  get draining(): boolean {
    return this.begun !== undefined;
  }

  get state(): DrainState | undefined {
    return this.begun;
  }

  begin(signal: string, at: Date): void {
    this.begun ??= { signal, since: at.toISOString() };
    this.stopping.abort();
  }

  /** Throws the 503 refusal while draining: a sync (or any change) must not start in a process that is stopping. */
  refuseIfDraining(): void {
    if (this.begun) throw refusal('run.draining', { detail: this.begun.signal });
  }

  /** A sync running in this process; it is waited for by `settled`. */
  track(runId: string, done: Promise<unknown>): void {
    const settled = done.then(
      () => undefined,
      () => undefined,
    );
    this.runs.set(runId, settled);
    void settled.then(() => this.runs.delete(runId));
  }

  /** The runs still going. */
  running(): string[] {
    return [...this.runs.keys()];
  }

  /**
   * Waits until every tracked run has closed, or `timeoutMs` has passed: `left` names the runs still
   * going then (their journal rows stay pending; the next sync or `qbo-connect recover` settles them).
   */
  async settled(timeoutMs: number): Promise<{ settled: boolean; left: string[] }> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const all = Promise.all(this.runs.values()).then(() => 'done' as const);
    const outcome = await Promise.race([all, timedOut]);
    clearTimeout(timer);
    return outcome === 'done' ? { settled: true, left: [] } : { settled: false, left: this.running() };
  }
}
