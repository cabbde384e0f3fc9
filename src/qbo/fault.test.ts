import { describe, expect, it } from 'vitest';
import { QboFault, faultFromResponse, isThrottleFault, parseFaultBody } from './fault.js';

describe('fault parsing', () => {
  it('reads the data service envelope', () => {
    const body = JSON.stringify({
      Fault: { Error: [{ Message: 'Duplicate Name Exists Error', Detail: 'The name supplied already exists. : null', code: '6240', element: '' }], type: 'ValidationFault' },
      time: '2020-09-29T06:58:50.262-07:00',
    });
    const f = faultFromResponse(400, body, '1-abc', '123');
    expect(f).toBeInstanceOf(QboFault);
    expect(f).toMatchObject({
      kind: 'fault',
      status: 400,
      code: '6240',
      element: undefined,
      detail: 'The name supplied already exists. : null',
      type: 'ValidationFault',
      intuitTid: '1-abc',
      realmId: '123',
    });
    expect(f.message).toContain('6240');
  });

  it('reads the gateway lower-case envelope', () => {
    const body = JSON.stringify({
      warnings: null,
      fault: {
        error: [{ message: 'message=AuthenticationFailed; errorCode=003200; statusCode=401', detail: 'Token expired: x', code: '3200', element: null }],
        type: 'AUTHENTICATION',
      },
      time: 1601391072830,
    });
    const f = faultFromResponse(401, body, undefined);
    expect(f).toMatchObject({ code: '3200', type: 'AUTHENTICATION', status: 401 });
  });

  it('reads XML throttle bodies, entities included', () => {
    const xml = `<?xml version="1.0"?><IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="2017-07-30T22:45:22.933-07:00">
      <Fault type="SERVICE"><Error code="3001">
        <Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>
        <Detail>The request limit was reached. Try again &amp; wait</Detail>
      </Error></Fault></IntuitResponse>`;
    const f = faultFromResponse(429, xml, 'tid');
    expect(f).toMatchObject({ code: '3001', type: 'SERVICE', detail: 'The request limit was reached. Try again & wait' });
    expect(isThrottleFault(f.errors)).toBe(true);
  });

  it('recognises throttling from the message when a 403 carries it', () => {
    expect(isThrottleFault([{ code: '003001', message: 'message=ThrottleExceeded; errorCode=003001; statusCode=403' }])).toBe(true);
    expect(isThrottleFault([{ code: '6000', message: 'Business Validation Error' }])).toBe(false);
  });

  it('falls back to the status when the body is empty, HTML or not a fault', () => {
    expect(parseFaultBody('')).toBeUndefined();
    expect(parseFaultBody('<html>Bad gateway</html>')).toBeUndefined();
    expect(parseFaultBody('{"Invoice":{}}')).toBeUndefined();
    expect(parseFaultBody('{not json')).toBeUndefined();
    expect(faultFromResponse(429, '', undefined)).toMatchObject({ code: '3001', status: 429 });
    expect(faultFromResponse(502, '<html></html>', undefined)).toMatchObject({ code: '502', status: 502 });
  });

  it('keeps every error of a multi-error fault', () => {
    const body = JSON.stringify({
      Fault: {
        Error: [
          { Message: 'a', code: '2020', element: 'Line' },
          { Message: 'b', code: '2050', element: 'DocNumber' },
        ],
        type: 'ValidationFault',
      },
    });
    const f = faultFromResponse(400, body, undefined);
    expect(f.errors.map((e) => e.code)).toEqual(['2020', '2050']);
    expect(f.element).toBe('Line');
  });
});
