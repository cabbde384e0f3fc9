/**
 * Entry point of the `qbo-connect` command. User-facing errors and expected failures (database
 * down, port taken, wrong key) print one line and exit non-zero; only bugs print a stack.
 */
import { CommanderError } from 'commander';
import { buildProgram } from './program.js';
import { isUserFacing } from './context.js';
import { expectedFailure } from './expected-failures.js';

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    if (isUserFacing(err)) {
      console.error(`qbo-connect: ${err.message}`);
      process.exitCode = 2;
      return;
    }
    const line = expectedFailure(err);
    if (line) {
      console.error(`qbo-connect: ${line}`);
      process.exitCode = 2;
      return;
    }
    console.error(err);
    process.exitCode = 1;
  }
}

await main(process.argv);
