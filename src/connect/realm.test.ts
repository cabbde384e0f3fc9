import { expect, it } from 'vitest';
import { describeEachDialect } from '../../test/helpers/db.js';
import { UserFacingError } from '../user-facing-error.js';
import { resolveRealm } from './realm.js';

describeEachDialect(
  'choosing the company',
  (ctx) => {
    const connection = (realm: string, status: 'connected' | 'disconnected') =>
      ctx.db
        .insertInto('connections')
        .values({
          realm_id: realm,
          company_name: `Company ${realm}`,
          region: 'AU',
          status,
          access_token_enc: null,
          refresh_token_enc: null,
          access_expires_at: null,
          refresh_expires_at: null,
          refresh_hard_expires_at: null,
          connected_at: '2026-11-01T00:00:00.000Z',
          connected_by: null,
          disconnected_reason: null,
          updated_at: '2026-11-01T00:00:00.000Z',
          lock_owner: null,
          lock_until: null,
        })
        .execute();

    it('takes the company named, and asks for one while none is connected', async () => {
      expect(await resolveRealm(ctx.db, ' 4620 ', '--realm ID')).toBe('4620');
      await expect(resolveRealm(ctx.db, undefined, '--realm ID')).rejects.toThrow(
        'No QBO company is connected: connect one with "qbo-connect connect", or name the company with --realm ID.',
      );
    });

    it('defaults to the single connected company, ignoring disconnected ones, and asks when there are several', async () => {
      await connection('100', 'disconnected');
      await expect(resolveRealm(ctx.db, undefined, '?realm=ID')).rejects.toMatchObject({ code: 'realm.required', field: 'realm', status: 400 });
      await expect(resolveRealm(ctx.db, undefined, '?realm=ID')).rejects.toBeInstanceOf(UserFacingError);
      await connection('111', 'connected');
      expect(await resolveRealm(ctx.db, undefined, '?realm=ID')).toBe('111');
      await connection('222', 'connected');
      await expect(resolveRealm(ctx.db, undefined, '?realm=ID')).rejects.toThrow('Several QBO companies are connected (111, 222): name one with ?realm=ID.');
      expect(await resolveRealm(ctx.db, '222', '?realm=ID')).toBe('222');
      // Not a company id at all: refused here with a sentence, not deep inside a sync (found by the bad-input fuzz).
      await expect(resolveRealm(ctx.db, ':', '?realm=ID')).rejects.toThrow(
        'realm ":" is not a QuickBooks company id (a number such as 9130350000000000): name one with ?realm=ID.',
      );
      // Fuzz counterexample (FC_SEED=565866596): `?realm=%20` started a sync of the connected company.
      for (const blank of ['', ' ', '\t']) await expect(resolveRealm(ctx.db, blank, '?realm=ID')).rejects.toThrow(/^realm "" is not a QuickBooks company id/);
    });
  },
  { fresh: 'each' },
);
