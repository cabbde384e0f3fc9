/**
 * Where QBO lives, from configuration: Intuit's production or sandbox hosts, or the local emulator.
 * Every OAuth and API URL comes from here, so the emulator stands in for Intuit with no code change.
 * Takes the few settings it needs structurally (qbo/ imports nothing else from src/).
 */

export type QboEnv = 'production' | 'sandbox' | 'emulator';

export interface EndpointSettings {
  qboEnv: QboEnv;
  emulatorUrl?: string | undefined;
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  redirectUri?: string | undefined;
  publicUrl: string;
}

export interface QboEndpoints {
  env: QboEnv;
  authorizeUrl: string;
  tokenUrl: string;
  revokeUrl: string;
  /** Host of the accounting API, no trailing slash; company URLs are `${apiBase}/v3/company/{realmId}/`. */
  apiBase: string;
  clientId: string | undefined;
  clientSecret: string | undefined;
  redirectUri: string;
}

export const DEFAULT_EMULATOR_URL = 'http://127.0.0.1:4010';
/** The emulator's built-in app, so `npm start` connects with nothing configured. */
export const EMULATOR_DEMO_CLIENT = { id: 'qbo-connect-demo', secret: 'qbo-connect-demo-secret' } as const;

// docs/qbo-api.md §hosts: the OAuth hosts are the same for sandbox and production apps.
const INTUIT_OAUTH = {
  authorizeUrl: 'https://appcenter.intuit.com/connect/oauth2',
  tokenUrl: 'https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer',
  revokeUrl: 'https://developer.api.intuit.com/v2/oauth2/tokens/revoke',
};

export function endpointsFromConfig(config: EndpointSettings): QboEndpoints {
  const redirectUri = config.redirectUri ?? `${config.publicUrl.replace(/\/$/, '')}/connect/callback`;
  if (config.qboEnv === 'emulator') {
    const base = (config.emulatorUrl ?? DEFAULT_EMULATOR_URL).replace(/\/$/, '');
    return {
      env: 'emulator',
      authorizeUrl: `${base}/connect/oauth2`,
      tokenUrl: `${base}/oauth2/v1/tokens/bearer`,
      revokeUrl: `${base}/v2/oauth2/tokens/revoke`,
      apiBase: base,
      clientId: config.clientId ?? EMULATOR_DEMO_CLIENT.id,
      clientSecret: config.clientSecret ?? EMULATOR_DEMO_CLIENT.secret,
      redirectUri,
    };
  }
  return {
    env: config.qboEnv,
    ...INTUIT_OAUTH,
    apiBase: config.qboEnv === 'production' ? 'https://quickbooks.api.intuit.com' : 'https://sandbox-quickbooks.api.intuit.com',
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    redirectUri,
  };
}

/** `${apiBase}/v3/company/{realmId}/` with the realm checked, since it is spliced into a URL. */
export function companyBaseUrl(endpoints: QboEndpoints, realmId: string): string {
  if (!/^\d{1,30}$/.test(realmId)) throw new Error(`"${realmId}" is not a QuickBooks company (realm) id; it is a number such as 9130350000000000`);
  return `${endpoints.apiBase}/v3/company/${realmId}/`;
}
