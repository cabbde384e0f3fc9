/**
 * The webhook's signing secret is encrypted with the token key, so `rotate-key` moves it too: after a
 * rotation the new key reads it and delivery can still sign (without this, every webhook failed after
 * a key change until someone set the secret again).
 */
import crypto from 'node:crypto';
import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/helpers/db.js';
import { createTokenCipher } from '../connection/crypto.js';
import { reencryptTokens } from '../connection/key-rotation.js';
import { getNotificationTargets, setNotificationSettings } from './store.js';

const now = new Date('2026-11-26T02:00:00.000Z');

describeEachDialect('webhook secret and rotate-key', (ctx) => {
  it('is re-encrypted under the new key with the tokens', async () => {
    const oldKey = crypto.randomBytes(32);
    const newKey = crypto.randomBytes(32);
    await setNotificationSettings(ctx.db, {
      change: { webhookUrl: 'https://hooks.example.com/qbo', webhookSecret: 'whsec-rotate-0123456789' },
      actor: 'test',
      clock: () => now,
      cipher: createTokenCipher(oldKey),
    });
    const result = await reencryptTokens(ctx.db, oldKey, newKey, now);
    expect(result.values).toBe(1);
    expect((await getNotificationTargets(ctx.db, createTokenCipher(newKey))).webhookSecret).toBe('whsec-rotate-0123456789');
    expect((await getNotificationTargets(ctx.db, createTokenCipher(oldKey))).webhookSecret).toBeNull();
  });
});
