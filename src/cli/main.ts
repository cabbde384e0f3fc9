/**
 * Entry point of the `qbo-connect` command. User-facing errors and expected failures (database
 * down, port taken, wrong key) print one line and exit non-zero; only bugs print a stack.
 */
import { CommanderError } from 'commander';
import { buildProgram } from './program.js';
import { isUserFacing } from './context.js';
import { expectedFailure } from './expected-failures.js';

/**
 * A reader that stopped reading (`qbo-connect history | head`) closes the pipe: the next write fails
 * with EPIPE. There is no one left to tell, so the command ends quietly, as Unix tools do.
 */
function quietOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}
quietOnClosedPipe(process.stdout);
quietOnClosedPipe(process.stderr);

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
