/**
 * OAuth clients the emulator knows: a demo client that accepts any loopback redirect URI, plus the
 * product's own client (QBO_CLIENT_ID / QBO_CLIENT_SECRET / QBO_REDIRECT_URI) when configured.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export const DEMO_CLIENT_ID = 'qbo-connect-demo';
export const DEMO_CLIENT_SECRET = 'qbo-connect-demo-secret';

export interface OAuthClientSpec {
  clientId: string;
  clientSecret: string;
  /** Exact redirect URIs; `loopback` accepts any http://127.0.0.1:<port>/… or http://localhost:<port>/…. */
  redirectUris: string[] | 'loopback';
}

export interface ClientRegistry {
  get(clientId: string): OAuthClientSpec | undefined;
  /** The client whose id and secret both match, else undefined (constant-time on the secret). */
  authenticate(clientId: string, clientSecret: string): OAuthClientSpec | undefined;
  redirectAllowed(client: OAuthClientSpec, redirectUri: string): boolean;
  list(): OAuthClientSpec[];
}

export const demoClient: OAuthClientSpec = { clientId: DEMO_CLIENT_ID, clientSecret: DEMO_CLIENT_SECRET, redirectUris: 'loopback' };

/** The client named by QBO_CLIENT_ID / QBO_CLIENT_SECRET / QBO_REDIRECT_URI, when all three are set. */
export function clientFromEnv(env: NodeJS.ProcessEnv): OAuthClientSpec | undefined {
  const clientId = env.QBO_CLIENT_ID?.trim();
  const clientSecret = env.QBO_CLIENT_SECRET;
  const redirect = env.QBO_REDIRECT_URI?.trim();
  if (!clientId || !clientSecret || !redirect) return undefined;
  return { clientId, clientSecret, redirectUris: [redirect] };
}

export function createClientRegistry(clients: OAuthClientSpec[]): ClientRegistry {
  const byId = new Map<string, OAuthClientSpec>();
  for (const c of clients) byId.set(c.clientId, c);
  return {
    get: (id) => byId.get(id),
    authenticate(id, secret) {
      const c = byId.get(id);
      if (!c) return undefined;
      return sameSecret(c.clientSecret, secret) ? c : undefined;
    },
    redirectAllowed(client, redirectUri) {
      if (client.redirectUris === 'loopback') return isLoopbackHttp(redirectUri);
      return client.redirectUris.includes(redirectUri);
    },
    list: () => [...byId.values()],
  };
}

function isLoopbackHttp(uri: string): boolean {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return false;
  }
  return url.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === 'localhost') && url.username === '' && url.password === '' && url.hash === '';
}

function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}
