/** What kind of API request a path is, for metering and statistics. */
export type RequestKind = 'read' | 'query' | 'write' | 'batch' | 'cdc' | 'other';

/** `rest` is the path after /v3/company/{realmId}/. */
export function requestKind(method: string, rest: string): RequestKind {
  const first = rest.split('/')[0]?.toLowerCase() ?? '';
  if (first === 'query') return 'query';
  if (first === 'batch') return 'batch';
  if (first === 'cdc') return 'cdc';
  if (!first) return 'other';
  if (method === 'GET') return 'read';
  if (method === 'POST') return 'write';
  return 'other';
}

export const requestKinds: RequestKind[] = ['read', 'query', 'write', 'batch', 'cdc', 'other'];
