/**
 * A tiny browser stand-in for route tests over `app.request` (in-process): keeps cookies, sends the
 * Origin header a browser sends on form posts, and reads the CSRF token from the last page.
 */
import type { Hono } from 'hono';

export class WebClient {
  readonly cookies = new Map<string, string>();
  /** The raw Set-Cookie headers received, to check their attributes. */
  readonly setCookies: string[] = [];
  lastHtml = '';

  constructor(
    private readonly app: Hono,
    readonly origin = 'http://127.0.0.1:3000',
  ) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set('cookie', this.cookieHeader());
    const res = await this.app.request(`${this.origin}${path}`, { ...init, headers, redirect: 'manual' });
    for (const sc of res.headers.getSetCookie()) {
      this.setCookies.push(sc);
      const [pair, ...attrs] = sc.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i).trim();
      const value = pair!.slice(i + 1).trim();
      const expired = attrs.some((a) => /max-age=0\b/i.test(a.trim()) || /expires=Thu, 01 Jan 1970/i.test(a.trim()));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    if ((res.headers.get('content-type') ?? '').includes('text/html')) this.lastHtml = await res.clone().text();
    return res;
  }

  get(path: string): Promise<Response> {
    return this.request(path);
  }

  /** The `_csrf` value of the last HTML page (every form carries the same one). */
  csrf(): string {
    const m = /name="_csrf" value="([^"]+)"/.exec(this.lastHtml);
    if (!m) throw new Error('no CSRF field on the last page');
    return m[1]!;
  }

  /** A form post as a browser sends it; `csrf: false` leaves the token out, `origin` overrides the Origin header. */
  async post(path: string, form: Record<string, string> = {}, opts: { csrf?: boolean | string; origin?: string | null } = {}): Promise<Response> {
    const body = new URLSearchParams(form);
    if (opts.csrf !== false) body.set('_csrf', typeof opts.csrf === 'string' ? opts.csrf : this.csrf());
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (opts.origin !== null) headers.origin = opts.origin ?? this.origin;
    return this.request(path, { method: 'POST', body: body.toString(), headers });
  }
}

/** Signs a client in (GET the form for its CSRF cookie and token, then post it). */
export async function signIn(client: WebClient, email: string, password: string): Promise<Response> {
  await client.get('/signin');
  return client.post('/signin', { email, password });
}
