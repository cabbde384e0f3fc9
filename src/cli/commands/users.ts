/** `qbo-connect users add|list` and `qbo-connect token create`: people and API tokens from the terminal. */
import { Option, type Command } from 'commander';
import { createApiToken } from '../../accounts/api-tokens.js';
import { AccountError, createUser, findUserByEmail, roles } from '../../accounts/users.js';
import { roleIn } from '../../accounts/memberships.js';
import { resolvePractice } from '../../practice/practices.js';
import { cliApp, configFrom, practiceFlag, practiceFrom, userError } from '../context.js';

export function registerUsers(program: Command): void {
  const users = program.command('users').description('people who use QBO Connect');
  users
    .command('add')
    .description('add a user (without a password: for API use, or set one in the web app)')
    .argument('<email>')
    // Commander's help does not mark a required option (issue 17): the usage line and the text say so.
    .usage('[options] <email> --name <name>')
    .requiredOption('--name <name>', 'full name (required)')
    .addOption(new Option('--role <role>', 'role').choices(roles).default('viewer'))
    .option('--owner', "an owner of the firm too: creates practices, sees every practice and the firm overview (the operator's way to make the first owner)")
    .action(async (email: string, opts: { name: string; role: string; owner?: boolean }, cmd: Command) => {
      const app = await cliApp(configFrom(cmd));
      try {
        // The person becomes a member of --practice when named (issue 15), else of the default practice as before.
        const given = practiceFlag(cmd);
        const practiceId = given === undefined ? undefined : await resolvePractice(app.ctx.db, given, '--practice ID');
        const user = await createUser(
          app.ctx.db,
          { email, name: opts.name, role: opts.role, ...(practiceId ? { practiceId } : {}), ...(opts.owner ? { owner: true } : {}) },
          app.ctx.clock(),
        );
        console.log(`Added ${user.email} (${user.role}${opts.owner ? ', owner of the firm' : ''}).`);
      } catch (err) {
        if (err instanceof AccountError) throw userError(err.message);
        throw err;
      } finally {
        await app.close();
      }
    });

  program
    .command('token')
    .description('API tokens for the JSON API')
    .command('create')
    .description('make an API token for a user; it is printed once')
    .requiredOption('--user <email>', 'the user the token acts as')
    .option('--name <name>', 'what the token is for', 'API token')
    .action(async (opts: { user: string; name: string }, cmd: Command) => {
      const app = await cliApp(configFrom(cmd));
      try {
        // A token acts on one practice (issue 15): --practice, else the only one; its user must be able
        // to open it. A person of another practice only is answered like an unknown one (names nothing of theirs).
        const practiceId = await practiceFrom(app, cmd);
        const user = await findUserByEmail(app.ctx.db, opts.user);
        if (!user || !(await roleIn(app.ctx.db, user.id, practiceId)))
          throw userError(`--user ${opts.user}: no such user in practice ${practiceId}; add one with "qbo-connect users add"`);
        const { token } = await createApiToken(app.ctx.db, user.id, opts.name, app.ctx.clock(), null, practiceId);
        console.log(token);
      } finally {
        await app.close();
      }
    });
}
