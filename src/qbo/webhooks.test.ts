import { describe, expect, it } from 'vitest';
import { parseWebhookPayload, verifyWebhookSignature, webhookSignature, WebhookPayloadError } from './webhooks.js';

describe('QBO webhook payloads', () => {
  it('reads the legacy format, several companies and entities in one notification', () => {
    const body = {
      eventNotifications: [
        { realmId: '1', dataChangeEvent: { entities: [{ name: 'Invoice', id: '7', operation: 'Update', lastUpdated: '2026-11-26T02:00:00.000Z' }] } },
        { realmId: '2', dataChangeEvent: { entities: [{ name: 'Customer', id: 3, operation: 'Merge', deletedId: '4' }] } },
      ],
    };
    expect(parseWebhookPayload(body)).toEqual({
      format: 'legacy',
      changes: [
        { realmId: '1', entity: 'Invoice', id: '7', operation: 'Update', at: '2026-11-26T02:00:00.000Z' },
        { realmId: '2', entity: 'Customer', id: '3', operation: 'Merge', at: undefined },
      ],
    });
  });

  it('reads the CloudEvents format, mapping its verbs to the legacy operations', () => {
    const ev = (type: string, id: string) => ({
      specversion: '1.0',
      id: `e-${id}`,
      source: 'intuit.x',
      type,
      time: '2026-11-26T02:00:00Z',
      intuitentityid: id,
      intuitaccountid: '9',
      data: {},
    });
    const r = parseWebhookPayload([ev('qbo.invoice.updated.v1', '1'), ev('qbo.payment.created.v1', '2'), ev('qbo.invoice.voided.v1', '3'), ev('qbo.customer.deleted.v1', '4')]);
    expect(r.format).toBe('cloudevents');
    expect(r.changes.map((c) => `${c.realmId} ${c.entity} ${c.id} ${c.operation}`)).toEqual([
      '9 Invoice 1 Update',
      '9 Payment 2 Create',
      '9 Invoice 3 Void',
      '9 Customer 4 Delete',
    ]);
  });

  it('names the field of a body neither format has', () => {
    expect(() => parseWebhookPayload({ eventNotifications: [{ dataChangeEvent: { entities: [] } }] })).toThrow(/^eventNotifications\.0\.realmId: /);
    expect(() => parseWebhookPayload([{ specversion: '1.0', id: 'x', type: 'account.created', intuitentityid: '1', intuitaccountid: '2' }])).toThrow(WebhookPayloadError);
    expect(() => parseWebhookPayload('text')).toThrow(/^body: /);
    expect(() => parseWebhookPayload({})).toThrow(/^eventNotifications: /);
  });

  it('verifies the signature over the exact bytes, in constant time, refusing other lengths', () => {
    const body = Buffer.from('{"eventNotifications":[]}');
    const sig = webhookSignature('token-123456', body);
    expect(verifyWebhookSignature('token-123456', body, sig)).toBe(true);
    expect(verifyWebhookSignature('token-123456', body, ` ${sig} `)).toBe(true);
    expect(verifyWebhookSignature('token-654321', body, sig)).toBe(false);
    expect(verifyWebhookSignature('token-123456', Buffer.from('{"eventNotifications": []}'), sig)).toBe(false);
    expect(verifyWebhookSignature('token-123456', body, sig.slice(0, 20))).toBe(false);
    expect(verifyWebhookSignature('token-123456', body, undefined)).toBe(false);
  });
});
