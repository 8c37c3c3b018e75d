// The page's way to the api: the bearer token (from the link the operator
// opened, kept for the tab's session) on every fetch and on the event stream.
const TOKEN_KEY = 'slicemesh.dashboard.token';
export const API = '/dashboard/api';

/** Takes a token from `#token=…` or `?access_token=…` once, then keeps it out of the address bar. */
export function loadToken() {
  const hash = new URLSearchParams(location.hash.replace(/^#/, ''));
  const query = new URLSearchParams(location.search);
  const given = hash.get('token') ?? query.get('access_token');
  if (given) {
    sessionStorage.setItem(TOKEN_KEY, given);
    query.delete('access_token');
    const search = query.toString();
    history.replaceState(null, '', `${location.pathname}${search ? `?${search}` : ''}`);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

export function saveToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.code;
  }
}

export async function getJson(path, token) {
  const response = await fetch(`${API}${path}`, {
    headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
  });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

/** The slice transition stream; EventSource cannot send headers, so the token goes in the query. */
export function openEvents(token) {
  return new EventSource(`${API}/events?access_token=${encodeURIComponent(token)}`);
}
