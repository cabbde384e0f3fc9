/**
 * The emulator's outgoing webhooks, as Intuit sends them: when a company's data changes (create,
 * update, delete, void), its changes are batched per company for a short while, then POSTed to the
 * configured URL with `intuit-signature` = base64(HMAC-SHA256(verifier token, body)).
 * Sources: https://developer.intuit.com/app/developer/qbo/docs/develop/webhooks (signature, entities,
 * operations); the legacy `eventNotifications` and the CloudEvents payloads as Intuit's announcement
 * shows them: https://blogs.a.intuit.com/2025/11/12/upcoming-change-to-webhooks-payload-structure.
 * A delivery answered with anything but 2xx (or not at all) is retried like Intuit does, on its
 * schedule's first steps (10 s, 20 s, 30 s; emulated time). For tests it can also sign with the
 * wrong key (`forge`) or send each notification twice (`duplicate`).
 */
import crypto from 'node:crypto';
import { z } from 'zod';
import type { EmulatorClock } from '../run/clock.js';

export interface EmulatorChange {
  seq: number;
  at: string;
  entity: string;
  id: string;
  operation: 'Create' | 'Update' | 'Delete' | 'Void';
}

/** What the sender reads of the core (each company's change log) and of OAuth (who is connected). */
export interface ChangeSource {
  companies(): Array<{ realmId: string }>;
  changes(realmId: string, sinceSeq: number): EmulatorChange[];
  /** Intuit notifies only companies connected to the app through OAuth. */
  connected(realmId: string): boolean;
}

export const webhookSettingsSchema = z
  .object({
    /** Where to POST (the product's `<public URL>/webhooks/intuit`); null turns webhooks off. */
    url: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL, e.g. http://127.0.0.1:3000/webhooks/intuit' })
      .nullable()
      .optional(),
    verifierToken: z.string().min(8, { error: 'must be at least 8 characters (the token the receiver checks signatures with)' }).optional(),
    /** How long (real ms) a company's changes are collected before one notification goes. Default 1000. */
    delayMs: z.number().int().min(0).max(600_000).optional(),
    format: z.enum(['legacy', 'cloudevents']).optional(),
    /** Sign with a wrong key: the receiver must refuse (401) and do nothing. */
    forge: z.boolean().optional(),
    /** Send every notification twice: the receiver must not do the work twice. */
    duplicate: z.boolean().optional(),
  })
  .strict();
export type WebhookSettingsPatch = z.infer<typeof webhookSettingsSchema>;

export interface WebhookDelivery {
  realmId: string;
  entities: number;
  status: number | 'error';
  attempt: number;
  forged: boolean;
  at: string;
}

export interface WebhookSenderView {
  url: string | null;
  /** Never echoed: only whether one is set. */
  verifierToken: 'set' | 'unset';
  delayMs: number;
  format: 'legacy' | 'cloudevents';
  forge: boolean;
  duplicate: boolean;
  deliveries: WebhookDelivery[];
}

export interface WebhookSender {
  view(): WebhookSenderView;
  configure(patch: unknown): WebhookSenderView;
  /** A write reached the company: its notification goes after `delayMs` (one per company per window). */
  poke(realmId: string): void;
  /** Sends every company's pending changes now (tests); resolves when those deliveries are answered. */
  flush(): Promise<WebhookDelivery[]>;
  close(): void;
}

const RETRY_EMULATED_MS = [10_000, 20_000, 30_000];
const KEEP_DELIVERIES = 200;

export function createWebhookSender(deps: { source: ChangeSource; clock: EmulatorClock; fetch?: typeof fetch }): WebhookSender {
  const doFetch = deps.fetch ?? fetch;
  const s = {
    url: null as string | null,
    verifierToken: undefined as string | undefined,
    delayMs: 1000,
    format: 'legacy' as 'legacy' | 'cloudevents',
    forge: false,
    duplicate: false,
  };
  /** Per company, the last change already notified (changes before configuration are not sent). */
  const sentSeq = new Map<string, number>();
  const timers = new Map<string, NodeJS.Timeout>();
  const inFlight = new Set<Promise<unknown>>();
  const deliveries: WebhookDelivery[] = [];
  let closed = false;

  const latestSeq = (realmId: string) => deps.source.changes(realmId, 0).at(-1)?.seq ?? 0;
  const active = () => !closed && s.url !== null && s.verifierToken !== undefined;

  const body = (realmId: string, changes: EmulatorChange[]): string => {
    // One entry per record, its latest operation (Intuit's notification names what changed, not every step).
    const last = new Map<string, EmulatorChange>();
    for (const c of changes) last.set(`${c.entity}:${c.id}`, c);
    const list = [...last.values()];
    if (s.format === 'cloudevents') {
      const verb = { Create: 'created', Update: 'updated', Delete: 'deleted', Void: 'voided' } as const;
      return JSON.stringify(
        list.map((c) => ({
          specversion: '1.0',
          id: crypto.randomUUID(),
          source: 'intuit.emulator',
          type: `qbo.${c.entity.toLowerCase()}.${verb[c.operation]}.v1`,
          datacontenttype: 'application/json',
          time: c.at,
          intuitentityid: c.id,
          intuitaccountid: realmId,
          data: {},
        })),
      );
    }
    return JSON.stringify({
      eventNotifications: [{ realmId, dataChangeEvent: { entities: list.map((c) => ({ name: c.entity, id: c.id, operation: c.operation, lastUpdated: c.at })) } }],
    });
  };

  const deliver = async (realmId: string, payload: string, entities: number, attempt: number): Promise<WebhookDelivery> => {
    const key = s.forge ? `${s.verifierToken}-forged` : s.verifierToken!;
    const signature = crypto.createHmac('sha256', key).update(payload).digest('base64');
    let status: number | 'error';
    try {
      const res = await doFetch(s.url!, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'intuit-signature': signature },
        body: payload,
        signal: AbortSignal.timeout(3000),
      });
      status = res.status;
      await res.body?.cancel();
    } catch {
      status = 'error';
    }
    const d: WebhookDelivery = { realmId, entities, status, attempt, forged: s.forge, at: deps.clock.now().toISOString() };
    deliveries.push(d);
    if (deliveries.length > KEEP_DELIVERIES) deliveries.splice(0, deliveries.length - KEEP_DELIVERIES);
    const ok = typeof status === 'number' && status >= 200 && status < 300;
    const retryIn = RETRY_EMULATED_MS[attempt - 1];
    if (!ok && retryIn !== undefined && active()) {
      const t = setTimeout(() => track(deliver(realmId, payload, entities, attempt + 1)), deps.clock.realMs(retryIn));
      t.unref();
    }
    return d;
  };

  const track = <T>(p: Promise<T>): Promise<T> => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p)).catch(() => {});
    return p;
  };

  const send = async (realmId: string): Promise<WebhookDelivery[]> => {
    timers.delete(realmId);
    if (!active()) return [];
    const changes = deps.source.changes(realmId, sentSeq.get(realmId) ?? 0);
    if (!changes.length) return [];
    sentSeq.set(realmId, changes.at(-1)!.seq);
    // Intuit notifies only for companies connected to the app (its webhooks page): the changes of
    // one that is not are passed over, not kept for later.
    if (!deps.source.connected(realmId)) return [];
    const payload = body(realmId, changes);
    const entities = new Set(changes.map((c) => `${c.entity}:${c.id}`)).size;
    const out = [await deliver(realmId, payload, entities, 1)];
    if (s.duplicate) out.push(await deliver(realmId, payload, entities, 1));
    return out;
  };

  return {
    view: () => ({
      url: s.url,
      verifierToken: s.verifierToken ? 'set' : 'unset',
      delayMs: s.delayMs,
      format: s.format,
      forge: s.forge,
      duplicate: s.duplicate,
      deliveries: [...deliveries],
    }),
    configure(patch) {
      const v = webhookSettingsSchema.parse(patch);
      const wasActive = active();
      if (v.url !== undefined) s.url = v.url;
      if (v.verifierToken !== undefined) s.verifierToken = v.verifierToken;
      if (v.delayMs !== undefined) s.delayMs = v.delayMs;
      if (v.format !== undefined) s.format = v.format;
      if (v.forge !== undefined) s.forge = v.forge;
      if (v.duplicate !== undefined) s.duplicate = v.duplicate;
      // Like subscribing an app: only what changes from now on is notified.
      if (!wasActive && active()) for (const c of deps.source.companies()) sentSeq.set(c.realmId, latestSeq(c.realmId));
      return this.view();
    },
    poke(realmId) {
      if (!active() || timers.has(realmId)) return;
      if (!sentSeq.has(realmId)) sentSeq.set(realmId, 0); // a company made after subscribing: all of it is new
      const t = setTimeout(() => void track(send(realmId)), s.delayMs);
      t.unref();
      timers.set(realmId, t);
    },
    async flush() {
      for (const t of timers.values()) clearTimeout(t);
      const realms = [...timers.keys()];
      timers.clear();
      const out = (await Promise.all(realms.map((r) => track(send(r))))).flat();
      await Promise.allSettled([...inFlight]);
      return out;
    },
    close() {
      closed = true;
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
    },
  };
}
