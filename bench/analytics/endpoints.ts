/**
 * The endpoints the analytics bench measures and their goals (issue 9): every per-user endpoint
 * p95 < 50 ms, the tenant's funnels, retention, paths and trends p95 < 500 ms (overview is
 * measured beside them, against the same 500 ms). Each request gets a new path: a random
 * person for the per-user ones; for the tenant ones a rotating definition (three each), and for
 * funnels and trends an end instant moved back by up to a minute, so that a cache keyed on the
 * query answers no two the same. Retention, paths and overview take only the documented
 * parameters (no time range), so the bench reports their first, cold answer apart.
 */
import { seededRandom } from '../../src/platform/random.js';

export interface Endpoint {
  name: string;
  scope: 'user' | 'tenant';
  goalP95Ms: number;
  /** A path for the next request. */
  path: () => string;
}

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

export function endpoints(userIds: readonly string[], now: number, seed = 7): Endpoint[] {
  const random = seededRandom(seed);
  const user = () => encodeURIComponent(userIds[Math.floor(random() * userIds.length)]!);
  const nth = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  // The end of a tenant query: now, minus up to a minute (a new cache key each time).
  const to = () => now - Math.floor(random() * 60_000);
  const perUser = (name: string, query = ''): Endpoint => ({
    name, scope: 'user', goalP95Ms: 50, path: () => `/v1/analytics/users/${user()}/${name}${query}`,
  });
  const funnels = [['product.viewed', 'cart.item_added', 'order.placed'], ['query.executed', 'document.viewed', 'answer.requested'], ['ticket.opened', 'message.sent', 'ticket.closed']];
  const retention = [['user.signed_in', 'query.executed'], ['page.viewed', 'page.viewed'], ['product.viewed', 'order.placed']];
  const pathStarts = ['query.executed', 'page.viewed', 'ticket.opened'];
  const trendTypes = [['page.viewed', 'query.executed'], ['order.placed', 'checkout.started'], ['message.sent', 'ticket.opened']];
  return [
    perUser('sessions'),
    perUser('engagement', '?days=30'),
    perUser('behavior', '?days=30'),
    perUser('journey'),
    perUser('predict'),
    perUser('similar'),
    {
      name: 'funnels', scope: 'tenant', goalP95Ms: 500,
      path: () => { const end = to(); return `/v1/analytics/funnels?steps=${nth(funnels).join(',')}&within=14d&from=${iso(end - 30 * DAY)}&to=${iso(end)}`; },
    },
    {
      name: 'retention', scope: 'tenant', goalP95Ms: 500,
      path: () => { const [event, returning] = nth(retention); return `/v1/analytics/retention?event=${event}&returning=${returning}&period=week&intervals=8`; },
    },
    { name: 'paths', scope: 'tenant', goalP95Ms: 500, path: () => `/v1/analytics/paths?from=${nth(pathStarts)}&steps=5&edges=50` },
    {
      name: 'trends', scope: 'tenant', goalP95Ms: 500,
      path: () => { const end = to(); return `/v1/analytics/trends?types=${nth(trendTypes).join(',')}&interval=day&from=${iso(end - 30 * DAY)}&to=${iso(end)}`; },
    },
    { name: 'overview', scope: 'tenant', goalP95Ms: 500, path: () => '/v1/analytics/overview?days=30' },
  ];
}
