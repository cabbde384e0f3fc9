/**
 * The practice a web or API request acts on, for the few connect functions that choose a company on
 * their own (connect/realm.ts: "the single connected company", "the company last connected here"):
 * they choose among that practice's companies only, so a person of practice A never has a company of
 * practice B chosen for them or named in a refusal (issue 15). Set once per request by the server's
 * practice scope (server/practice-scope.ts), and by a CLI command given `--practice` (cli/commands/settings.ts
 * `withApp`); undefined otherwise (the CLI without `--practice`: every company, as before).
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const acting = new AsyncLocalStorage<string>();

/** Runs `work` acting on one practice. */
export function actingAs<T>(practiceId: string, work: () => Promise<T>): Promise<T> {
  return acting.run(practiceId, work);
}

/** The practice the current request acts on, or undefined outside a request. */
export function actingPractice(): string | undefined {
  return acting.getStore();
}
