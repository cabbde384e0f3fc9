/**
 * Reading and changing who is told. Like the connect settings (settings/store.ts setSettings): every
 * field is checked first (one bad value refuses the lot), then the change and one audit row per
 * changed field are written in one transaction, guarded by a version number. The webhook's signing
 * secret is stored encrypted with the token cipher and audited only as "set" / "none" / "changed".
 */
import type { Clock } from '../../context.js';
import type { Db } from '../../store/db.js';
import type { TokenCipher } from '../connection/crypto.js';
import { checkChange, DEFAULT_PRACTICE, maskWebhookUrl, type NotificationSettings } from './model.js';
import { refusal } from './reasons.js';

export interface NotificationTargets extends NotificationSettings {
  /** The signing secret in clear, for delivery only; null when none is set or it cannot be read (key changed). */
  webhookSecret: string | null;
}

export interface NotificationAuditEntry {
  id: number;
  field: string;
  oldValue: unknown;
  newValue: unknown;
  actor: string;
  changedAt: string;
}

export interface NotificationChangeResult {
  field: string;
  changed: boolean;
  oldValue: unknown;
  newValue: unknown;
}

const secretContext = (practiceId: string) => `${practiceId}|webhook_secret`;

type Row = { emails: string; webhook_url: string | null; webhook_secret_enc: string | null; version: number };

function parseEmails(text: string): string[] {
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? v.filter((e): e is string => typeof e === 'string') : [];
  } catch {
    return [];
  }
}

async function readRow(db: Db, practiceId: string): Promise<Row | undefined> {
  return db.selectFrom('notification_settings').select(['emails', 'webhook_url', 'webhook_secret_enc', 'version']).where('practice_id', '=', practiceId).executeTakeFirst();
}

/** Who is told (no secret). `masked`: the webhook URL as scheme://host/… (for anyone but an administrator). */
export async function getNotificationSettings(db: Db, practiceId = DEFAULT_PRACTICE, opts: { masked?: boolean } = {}): Promise<NotificationSettings> {
  const r = await readRow(db, practiceId);
  const url = r?.webhook_url ?? null;
  return { emails: r ? parseEmails(r.emails) : [], webhookUrl: opts.masked ? maskWebhookUrl(url) : url, webhookSecretSet: !!r?.webhook_secret_enc };
}

/** Who is told, with the secret in clear for signing: only delivery calls this. */
export async function getNotificationTargets(db: Db, cipher: TokenCipher, practiceId = DEFAULT_PRACTICE): Promise<NotificationTargets> {
  const r = await readRow(db, practiceId);
  let webhookSecret: string | null = null;
  if (r?.webhook_secret_enc) {
    try {
      webhookSecret = cipher.decrypt(r.webhook_secret_enc, secretContext(practiceId));
    } catch {
      webhookSecret = null;
    }
  }
  return { emails: r ? parseEmails(r.emails) : [], webhookUrl: r?.webhook_url ?? null, webhookSecretSet: !!r?.webhook_secret_enc, webhookSecret };
}

export interface SetNotificationsInput {
  /** The change: `{ emails?, webhookUrl?, webhookSecret? }`, checked field by field. */
  change: unknown;
  actor: string;
  clock: Clock;
  cipher: TokenCipher;
  practiceId?: string;
}

class VersionConflict extends Error {}

/** Checks and writes a change with its audit rows in one transaction; returns each field given, changed or not. */
export async function setNotificationSettings(db: Db, input: SetNotificationsInput): Promise<NotificationChangeResult[]> {
  const practiceId = input.practiceId ?? DEFAULT_PRACTICE;
  const actor = typeof input.actor === 'string' ? input.actor.trim() : '';
  if (actor.length < 1 || actor.length > 200) throw refusal('notify.invalid-actor', { value: input.actor }, 'actor');
  const change = checkChange(input.change);
  for (let attempt = 0; ; attempt++) {
    try {
      return await db.transaction().execute(async (trx) => {
        const now = input.clock().toISOString();
        const row = await trx
          .selectFrom('notification_settings')
          .select(['emails', 'webhook_url', 'webhook_secret_enc', 'version'])
          .where('practice_id', '=', practiceId)
          .executeTakeFirst();
        const oldEmails = row ? parseEmails(row.emails) : [];
        const oldUrl = row?.webhook_url ?? null;
        const oldSecretEnc = row?.webhook_secret_enc ?? null;
        let oldSecret: string | null = null;
        if (oldSecretEnc) {
          try {
            oldSecret = input.cipher.decrypt(oldSecretEnc, secretContext(practiceId));
          } catch {
            oldSecret = null;
          }
        }
        const emails = change.emails ?? oldEmails;
        const url = change.webhookUrl !== undefined ? change.webhookUrl : oldUrl;
        const secretGiven = change.webhookSecret !== undefined;
        const secretEnc = secretGiven ? (change.webhookSecret === null ? null : input.cipher.encrypt(change.webhookSecret!, secretContext(practiceId))) : oldSecretEnc;
        // Checked on the whole, as settings are: a webhook is useless to its receiver without a signature.
        if (url !== null && secretEnc === null) throw refusal('notify.webhook-secret-required', {}, 'webhookSecret');

        const results: NotificationChangeResult[] = [];
        if (change.emails) {
          const same = JSON.stringify(oldEmails) === JSON.stringify(emails);
          results.push({ field: 'emails', changed: !same, oldValue: oldEmails, newValue: emails });
        }
        // The audit (and whoever reads it) sees only scheme://host/…: a webhook URL's path is often its receiver's credential.
        if (change.webhookUrl !== undefined) results.push({ field: 'webhookUrl', changed: oldUrl !== url, oldValue: maskWebhookUrl(oldUrl), newValue: maskWebhookUrl(url) });
        if (secretGiven) {
          // The audit trail says a secret was set or replaced, never what it was.
          const changed = change.webhookSecret !== oldSecret;
          const label = (present: boolean) => (present ? 'set' : 'none');
          results.push({
            field: 'webhookSecret',
            changed,
            oldValue: label(oldSecretEnc !== null),
            newValue: changed && oldSecretEnc !== null && change.webhookSecret !== null ? 'changed' : label(change.webhookSecret !== null),
          });
        }
        const changed = results.filter((r) => r.changed);
        if (changed.length === 0) return results;
        const values = { emails: JSON.stringify(emails), webhook_url: url, webhook_secret_enc: secretEnc, updated_at: now };
        if (!row) {
          await trx
            .insertInto('notification_settings')
            .values({ practice_id: practiceId, ...values, version: 1 })
            .execute();
        } else {
          const upd = await trx
            .updateTable('notification_settings')
            .set({ ...values, version: Number(row.version) + 1 })
            .where('practice_id', '=', practiceId)
            .where('version', '=', row.version)
            .executeTakeFirst();
          if (Number(upd.numUpdatedRows) !== 1) throw new VersionConflict();
        }
        await trx
          .insertInto('notification_audit')
          .values(
            changed.map((r) => ({
              practice_id: practiceId,
              field: r.field,
              old_value: r.oldValue === null ? null : JSON.stringify(r.oldValue),
              new_value: r.newValue === null ? null : JSON.stringify(r.newValue),
              actor,
              changed_at: now,
            })),
          )
          .execute();
        return results;
      });
    } catch (err) {
      // A first insert racing another raises a unique violation; a version mismatch is the same story.
      const duplicate = err instanceof Error && /unique|duplicate/i.test(err.message);
      if (!(err instanceof VersionConflict) && !duplicate) throw err;
      if (attempt >= 9) throw refusal('notify.conflict');
    }
  }
}

/** The audit trail of notifications, newest first. */
export async function listNotificationAudit(db: Db, opts: { practiceId?: string; limit?: number } = {}): Promise<NotificationAuditEntry[]> {
  const rows = await db
    .selectFrom('notification_audit')
    .selectAll()
    .where('practice_id', '=', opts.practiceId ?? DEFAULT_PRACTICE)
    .orderBy('id', 'desc')
    .limit(Math.min(Math.max(opts.limit ?? 200, 1), 10_000))
    .execute();
  const parse = (t: string | null) => {
    if (t === null) return null;
    try {
      return JSON.parse(t) as unknown;
    } catch {
      return t;
    }
  };
  // Rows written before URLs were masked are masked on the way out too.
  const shown = (field: string, v: unknown) => (field === 'webhookUrl' && typeof v === 'string' ? maskWebhookUrl(v) : v);
  return rows.map((r) => ({
    id: Number(r.id),
    field: r.field,
    oldValue: shown(r.field, parse(r.old_value)),
    newValue: shown(r.field, parse(r.new_value)),
    actor: r.actor,
    changedAt: r.changed_at,
  }));
}
