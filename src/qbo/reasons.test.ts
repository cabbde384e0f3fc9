import { describe, expect, it } from 'vitest';
import { ConnectionLostError, OutcomeUnknownError, QboFault, QboUnavailableError } from './fault.js';
import { MoneyError } from './money.js';
import { QboProtocolError } from './client.js';
import { OAuthError } from './oauth.js';
import { explain as explainQboError, isQboFailure, sentence } from './reasons.js';
import { RefreshLockBusyError } from './token-store.js';

const fault = (code: string, message = 'm', detail?: string, element?: string, status = 400) =>
  new QboFault(status, [{ code, message, detail, element }], 'ValidationFault', '1-tid', '1');
const inv = { kind: 'invoice', label: 'INV-1042' };

describe('explain (qbo/reasons.ts)', () => {
  it('gives each common fault its own reason, naming the record and the field', () => {
    expect(explainQboError(fault('6140', 'Duplicate Document Number Error'), inv)).toMatchObject({ code: 'qbo.duplicate-doc-number', retryable: false });
    expect(explainQboError(fault('6140'), inv).message).toContain('invoice INV-1042');
    expect(explainQboError(fault('6140'), inv).message).toContain('DocNumber');
    expect(explainQboError(fault('6240'), { kind: 'customer', label: 'Acme' }).message).toContain('customer Acme');
    expect(explainQboError(fault('5010'), inv)).toMatchObject({ code: 'qbo.stale-object', retryable: true });
    expect(explainQboError(fault('610'), inv).code).toBe('qbo.not-found');
    expect(explainQboError(fault('2500', 'Invalid Reference Id', 'x', 'CustomerRef'), inv)).toMatchObject({ code: 'qbo.invalid-reference', field: 'CustomerRef' });
    expect(explainQboError(fault('2500', 'Invalid Reference Id', 'x', 'CustomerRef'), inv).message).toContain('field CustomerRef');
    expect(explainQboError(fault('6210', 'Account Period Closed'), inv).code).toBe('qbo.closed-period');
    expect(explainQboError(fault('6210', 'Duplicate Document Number Error'), inv).code).toBe('qbo.duplicate-doc-number');
    expect(explainQboError(fault('6540'), inv).code).toBe('qbo.deposited');
    expect(explainQboError(fault('6000', 'Business Validation Error', 'Make sure all your transactions have a GST rate before you save.'), inv).code).toBe('qbo.missing-tax-code');
    expect(explainQboError(fault('6000', 'Business Validation Error', 'You must set a transaction amount.'), inv).code).toBe('qbo.business-rule');
    expect(explainQboError(fault('2050', 'Invalid String Length', undefined, 'DocNumber'), inv)).toMatchObject({ code: 'qbo.validation', field: 'DocNumber' });
    expect(explainQboError(fault('3001', 'ThrottleExceeded', undefined, undefined, 429))).toMatchObject({ code: 'qbo.throttled', retryable: true });
    expect(explainQboError(fault('10000', 'System Failure', undefined, undefined, 500))).toMatchObject({ code: 'qbo.server-error', retryable: true });
  });

  it('explains the non-fault kinds', () => {
    expect(explainQboError(new OutcomeUnknownError('rid', '1', 3, 'timeout'), inv)).toMatchObject({ code: 'qbo.outcome-unknown' });
    expect(explainQboError(new ConnectionLostError('1', 'Intuit no longer accepts its refresh token'))).toMatchObject({ code: 'qbo.disconnected', retryable: false });
    expect(explainQboError(new QboUnavailableError('1', 'network'))).toMatchObject({ code: 'qbo.unavailable', retryable: true });
    expect(explainQboError(new MoneyError('money.too-many-decimals', '1.005 has more than two decimal places'), inv).message).toContain('invoice INV-1042');
    expect(explainQboError(new Error('x')).code).toBe('qbo.unexpected');
    expect(explainQboError(fault('99')).code).toBe('qbo.other');
  });

  it('ends every sentence with something to do', () => {
    for (const code of ['6140', '6240', '5010', '610', '2500', '6210', '6540', '6000', '2050', '3001', '3100', '10000', '99']) {
      const m = explainQboError(fault(code), inv).message;
      expect(m.length).toBeGreaterThan(30);
      expect(m).toMatch(/\.$/);
    }
  });

  it('says each code in one sentence: the sentence of an explained error is sentence(code, ctx)', () => {
    expect(explainQboError(new QboUnavailableError('1', 'network'), inv).message).toBe(sentence('qbo.unavailable', { record: inv, detail: 'network' }));
    expect(explainQboError(new OAuthError('not-configured', 'QuickBooks is not configured')).message).toContain('QBO_CLIENT_ID');
    expect(explainQboError(new OAuthError('temporary', 'token endpoint busy'))).toMatchObject({ code: 'qbo.unavailable', retryable: true });
    expect(explainQboError(new OAuthError('invalid-grant', 'refresh token expired'))).toMatchObject({ code: 'qbo.disconnected', retryable: false });
  });

  it('recognises a QuickBooks failure by its class, not by its name', () => {
    for (const err of [
      fault('6000'),
      new QboUnavailableError('1', 'network'),
      new ConnectionLostError('1', 'revoked'),
      new OAuthError('temporary', 'busy'),
      new QboProtocolError('not JSON'),
      new RefreshLockBusyError('another process is refreshing'),
    ]) {
      expect(isQboFailure(err), err.name).toBe(true);
    }
    // A bug is not a QuickBooks failure, even one dressed up with a QuickBooks class name.
    const impostor = Object.assign(new Error('x'), { name: 'QboFault' });
    expect(isQboFailure(impostor)).toBe(false);
    expect(isQboFailure(new TypeError('x'))).toBe(false);
    // The preview's own words: what was asked, then the client's reason.
    expect(sentence('qbo.unavailable', { asking: 'the preview', detail: 'network down' })).toBe('QuickBooks could not be asked for the preview: network down');
    expect(sentence('qbo.unavailable', { asking: '', detail: 'network down' })).toBe('QuickBooks could not be asked: network down');
  });
});
