import { describe, expect, it } from 'vitest';
import { ConnectionLostError, OutcomeUnknownError, QboFault, QboUnavailableError } from './fault.js';
import { MoneyError } from './money.js';
import { explainQboError } from './messages.js';

const fault = (code: string, message = 'm', detail?: string, element?: string, status = 400) => new QboFault(status, [{ code, message, detail, element }], 'ValidationFault', '1-tid', '1');
const inv = { kind: 'invoice', label: 'INV-1042' };

describe('explainQboError', () => {
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
    expect(explainQboError(fault('10000', 'System Failure', undefined, undefined, 500))).toMatchObject({ code: 'qbo.unavailable', retryable: true });
  });

  it('explains the non-fault kinds', () => {
    expect(explainQboError(new OutcomeUnknownError('rid', '1', 3, 'timeout'), inv)).toMatchObject({ code: 'qbo.outcome-unknown' });
    expect(explainQboError(new ConnectionLostError('1', 'Intuit no longer accepts its refresh token'))).toMatchObject({ code: 'qbo.disconnected', retryable: false });
    expect(explainQboError(new QboUnavailableError('1', 'network'))).toMatchObject({ code: 'qbo.unavailable', retryable: true });
    expect(explainQboError(new MoneyError('money.too-many-decimals', '1.005 has more than two decimal places'), inv).message).toContain('invoice INV-1042');
    expect(explainQboError(new Error('x')).code).toBe('qbo.other');
  });

  it('ends every sentence with something to do', () => {
    for (const code of ['6140', '6240', '5010', '610', '2500', '6210', '6540', '6000', '2050', '3001', '3100', '10000', '99']) {
      const m = explainQboError(fault(code), inv).message;
      expect(m.length).toBeGreaterThan(30);
      expect(m).toMatch(/\.$/);
    }
  });
});
