/** What `eventrag demo` prints when it is done: what was loaded, and requests to try next. */

export interface DemoSummary {
  url: string;
  tenant: string;
  articles: number;
  customers: number;
  policies: number;
  users: number;
  events: number;
  orders: number;
  /** Events this run stored, and those the server already had (same idempotency key). */
  accepted: number;
  duplicates: number;
  /** The whole set was in the log already: no events were sent. */
  alreadyLoaded: boolean;
  /** Policy documents this run wrote, and those already as they should be. */
  written: number;
  unchanged: number;
}

const json = (path: string, body: unknown, url: string) => [
  `  curl -s -X POST ${url}${path} -H "authorization: Bearer $ADMIN" -H 'content-type: application/json' \\`,
  `    -d '${JSON.stringify(body)}'`,
];

export function nextSteps(s: DemoSummary): string {
  const url = s.url.replace(/\/+$/, '');
  const thisRun = s.alreadyLoaded
    ? 'this run: all events were in the log already'
    : `this run: ${s.accepted} new events, ${s.duplicates} already there`;
  return [
    '',
    `Sample shop loaded into tenant "${s.tenant}":`,
    `  ${s.articles} articles (German and English) and ${s.customers} customers, in the collections articles and customers`,
    `  ${s.policies} policies (a handbook in English and German) in the collection policies`,
    `  ${s.users} users with ${s.events - s.articles - s.customers} events over the past week: page views, searches (query.executed),`,
    `  ${s.orders} orders (order.placed) and one low-stock alert (stock.low_detected)`,
    `  (${thisRun}; policies: ${s.written} written, ${s.unchanged} unchanged)`,
    '',
    'Try next (ADMIN holds your admin key, as in the README):',
    '  # search the shop, in German or English',
    ...json('/v1/search', { query: 'akku bohrschrauber', collections: ['articles'] }, url),
    '  # an answer from the handbook, citing its sources',
    ...json('/v1/answer', { query: 'How many days do customers have to return an article?', collections: ['policies'] }, url),
    '  # what user u-042 did, newest first',
    `  curl -s "${url}/v1/events?userId=u-042&limit=20" -H "authorization: Bearer $ADMIN"`,
    '  # events per type and hour, and the low-stock alert',
    `  curl -s ${url}/v1/events/stats -H "authorization: Bearer $ADMIN"`,
    `  curl -s "${url}/v1/events?type=stock.*" -H "authorization: Bearer $ADMIN"`,
    `The whole API: ${url}/docs`,
    '',
  ].join('\n');
}
