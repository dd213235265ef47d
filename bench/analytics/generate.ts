/**
 * The analytics bench's event log: `people` persons and exactly `events` events over the `days`
 * before `end`, seeded (same options, same log). Realistic on the axes the analytics read:
 *  - habits: each person has an archetype of src/analytics/predict/synthetic-archetypes.ts (its
 *    order-2 chains of product types, noise events), a fifth of their sessions in another's;
 *  - activity: log-normal per person (a few heavy users, a long tail of light ones), scaled by
 *    how long they were around: 55 % were there from the start, the rest signed up during the
 *    period, and a fifth of everyone stopped coming at some point;
 *  - time: sessions spread over each person's span, denser by day than by night in the person's
 *    time zone and on weekdays than at weekends, more than 30 minutes apart; events in a session
 *    3 s + an exponential 45 s apart (at most 25 minutes);
 *  - envelopes: half the persons send a session id, the others are sessionised by inactivity;
 *    a source app per session (web, ios, android); payloads per type (query texts on
 *    `query.executed`, product ids, order totals, message texts...);
 *  - Segment: a third of the sign-ups start anonymous: their first session goes through the
 *    Segment batch API with an `anonymousId`, then an `identify` stitches it to their user id.
 * Events come out sorted by time; `requestsOf` cuts them into batch requests in that order.
 *
 *   node --import tsx bench/analytics/generate.ts [--people 20000] [--events 1000000] [--days 60]
 *     [--seed 1] [--end 2026-12-08T00:00:00Z] [--out log.ndjson]   (NDJSON: one {wire, body} per line)
 */
import { createWriteStream } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ARCHETYPES, type Archetype } from '../../src/analytics/predict/synthetic-archetypes.js';
// The prediction bench's habits: the same draws give the same sessions in both logs.
import { pick, pickArchetype, sessionTypes } from '../../src/analytics/predict/synthetic-log.js';
import { seededRandom } from '../../src/platform/random.js';

export interface GenerateOptions {
  people: number;
  events: number;
  days: number;
  seed: number;
  /** The log's last instant (ms); default now, rounded down to the minute. */
  end?: number;
}

/** `native` goes to POST /v1/events/batch, `segment` to POST /v1/batch. */
export interface GeneratedEvent { time: number; wire: 'native' | 'segment'; body: Record<string, unknown>; /** The person's index (user-<n>). */ person: number }

export interface GeneratedLog {
  options: Required<GenerateOptions>;
  events: GeneratedEvent[];
  /** Every identified person's user id (`user-<n>`), and how many events each has. */
  persons: Array<{ userId: string; events: number }>;
  anonymousPersons: number;
  sessions: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const OTHER_HABIT_SHARE = 0.2;
const SESSION_GAP_MS = 31 * MINUTE;
/** Relative activity by local hour (0–23): quiet at night, peaks late morning and evening. */
const HOUR_WEIGHTS = [0.15, 0.08, 0.05, 0.04, 0.05, 0.1, 0.3, 0.6, 0.9, 1, 1.1, 1.1, 0.9, 0.95, 1, 1, 0.95, 0.9, 0.95, 1.05, 1.1, 0.95, 0.6, 0.3];
/** Time zones of the persons (hours from UTC). */
const ZONES = [-8, -6, -5, -3, 0, 1, 1, 2, 3, 5.5, 8, 9];
const APPS = ['web', 'web', 'web', 'web', 'web', 'web', 'web', 'ios', 'ios', 'android'];

const exponential = (random: () => number, mean: number) => -mean * Math.log(1 - random());
/** A standard normal draw (Box–Muller). */
const normal = (random: () => number) => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
const choose = <T>(random: () => number, list: readonly T[]): T => list[Math.floor(random() * list.length)]!;

const QUERY_WORDS: Record<string, { starts: string[]; topics: string[]; ends: string[] }> = {
  researcher: {
    starts: ['how does', 'what is', 'compare', 'summary of', 'evidence for', 'latest on', 'why does'],
    topics: ['retrieval augmented generation', 'vector index recall', 'bm25 ranking', 'transformer attention', 'event sourcing', 'sqlite wal mode', 'gdpr erasure', 'markov chains', 'cohort retention', 'funnel analysis'],
    ends: ['', 'in practice', 'benchmarks', 'vs postgres', 'paper', 'limitations', '2026'],
  },
  shopper: {
    starts: ['', 'cheap', 'best', 'stainless', 'zinc plated', 'heavy duty'],
    topics: ['hex bolt m8', 'wood screws 4x40', 'drill bit set', 'cordless drill', 'wall plugs', 'torque wrench', 'cable ties', 'safety gloves', 'ladder 3m', 'paint roller'],
    ends: ['', 'price', 'in stock', 'pack of 100', 'delivery', 'reviews'],
  },
  support: {
    starts: ['how to', 'cannot', 'error when', 'help with', 'why is'],
    topics: ['reset password', 'change invoice address', 'cancel order', 'return a product', 'two factor login', 'export my data', 'delete account', 'track delivery', 'update payment method', 'api key'],
    ends: ['', 'not working', 'urgent', 'on mobile', 'again', 'since yesterday'],
  },
  browser: {
    starts: ['', 'news', 'guide', 'video'],
    topics: ['garden shed', 'kitchen renovation', 'winter tyres', 'home office setup', 'diy shelves', 'bike repair', 'smart thermostat', 'led lighting'],
    ends: ['', 'ideas', 'tutorial', 'cost', 'before and after'],
  },
};

function queryText(random: () => number, archetype: string): string {
  const words = QUERY_WORDS[archetype] ?? QUERY_WORDS.researcher!;
  return [choose(random, words.starts), choose(random, words.topics), choose(random, words.ends)].filter(Boolean).join(' ');
}

/** A payload that fits the type (the built-in schemas require a few of these fields). */
function dataOf(random: () => number, type: string, archetype: string, n: number): Record<string, unknown> | undefined {
  const product = `sku-${Math.floor(random() * 5000)}`;
  switch (type) {
    case 'query.executed': return { query: queryText(random, archetype), resultCount: Math.floor(random() * 40), latencyMs: Math.round(20 + exponential(random, 80)) };
    case 'page.viewed': { const page = Math.floor(random() * 400); return { path: `/p/${page}`, url: `https://app.example.com/p/${page}`, title: `Page ${page}` }; }
    case 'article.viewed': return { articleId: `article-${Math.floor(random() * 2000)}` };
    case 'product.viewed': return { productId: product, price: Math.round(100 + exponential(random, 2500)) / 100 };
    case 'cart.item_added': case 'cart.item_removed': return { productId: product, quantity: 1 + Math.floor(exponential(random, 1.5)) };
    case 'checkout.started': return { items: 1 + Math.floor(exponential(random, 2)) };
    case 'order.placed': return { orderId: `order-${n}`, total: Math.round(500 + exponential(random, 8000)) / 100, currency: 'EUR' };
    case 'payment.failed': return { reason: choose(random, ['card_declined', 'insufficient_funds', 'expired_card']) };
    case 'message.sent': return { channel: 'chat', text: queryText(random, 'support') };
    case 'document.viewed': case 'document.downloaded': return { documentId: `doc-${Math.floor(random() * 3000)}` };
    case 'document.uploaded': return { documentId: `upload-${n}`, title: `Notes ${n}`, sizeBytes: Math.floor(exponential(random, 200_000)) };
    case 'answer.rated': return { rating: 1 + Math.floor(random() * 5) };
    case 'ticket.opened': case 'ticket.viewed': case 'ticket.closed': case 'ticket.reopened': return { ticketId: `ticket-${Math.floor(random() * 20_000)}` };
    case 'video.played': return { videoId: `video-${Math.floor(random() * 300)}`, seconds: Math.round(exponential(random, 120)) };
    default: return undefined;
  }
}

/** Cumulative activity weight per hour of [from, to) for a person in time zone `zone` (hours). */
function cumulativeWeights(from: number, to: number, zone: number): Float64Array {
  const hours = Math.max(1, Math.ceil((to - from) / HOUR));
  const cumulative = new Float64Array(hours + 1);
  for (let h = 0; h < hours; h += 1) {
    const local = from + h * HOUR + zone * HOUR;
    const weekday = (Math.floor(local / DAY) + 4) % 7; // 1970-01-01 was a Thursday
    const hour = Math.floor((((local % DAY) + DAY) % DAY) / HOUR);
    cumulative[h + 1] = cumulative[h]! + HOUR_WEIGHTS[hour]! * (weekday === 0 || weekday === 6 ? 0.6 : 1);
  }
  return cumulative;
}

/** The instant at cumulative weight `w` (inverse of cumulativeWeights, linear within an hour). */
function instantAt(cumulative: Float64Array, from: number, w: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid]! <= w) lo = mid; else hi = mid;
  }
  const span = cumulative[lo + 1]! - cumulative[lo]!;
  return from + (lo + (span > 0 ? (w - cumulative[lo]!) / span : 0)) * HOUR;
}

interface Person { index: number; archetype: Archetype; join: number; leave: number; zone: number; app: string; sessionIds: boolean; anonymous: boolean; weight: number }

export function generateAnalyticsLog(input: GenerateOptions): GeneratedLog {
  const options: Required<GenerateOptions> = { ...input, end: input.end ?? Math.floor(Date.now() / MINUTE) * MINUTE };
  const { people, events: target, days, end } = options;
  if (people < 1 || target < people) throw new Error('need at least one person and one event per person');
  const random = seededRandom(options.seed);
  const start = end - days * DAY;

  const persons: Person[] = [];
  for (let index = 0; index < people; index += 1) {
    const archetype = pickArchetype(random);
    const signedUp = random() >= 0.55;
    // Sign-ups are spread over the period but leave an hour before its end for a first session.
    const join = signedUp ? start + random() * (end - start - HOUR) : start;
    const leave = random() < 0.2 ? join + random() * (end - join) : end;
    const weight = Math.exp(1.1 * normal(random)) * Math.max(0.02, (leave - join) / (end - start));
    persons.push({
      index, archetype, join, leave: Math.max(leave, join + HOUR), zone: choose(random, ZONES), app: choose(random, APPS),
      sessionIds: random() < 0.5, anonymous: signedUp && random() < 1 / 3, weight,
    });
  }
  // Budgets proportional to the weights, at least one event each, summing to exactly `target`.
  const totalWeight = persons.reduce((sum, p) => sum + p.weight, 0);
  const spare = target - people;
  const budgets = persons.map((p) => 1 + Math.floor((spare * p.weight) / totalWeight));
  let missing = target - budgets.reduce((a, b) => a + b, 0);
  for (let i = 0; missing > 0; i = (i + 1) % people, missing -= 1) budgets[i]! += 1;

  const events: GeneratedEvent[] = [];
  const counts = new Map<string, number>();
  let sessions = 0;
  let carry = 0; // events a person's span could not hold, given to the next person
  let serial = 0;
  const order = [...persons].sort((a, b) => (b.leave - b.join) - (a.leave - a.join) || a.index - b.index).map((p) => p.index);
  // Persons with the longest spans come last, so the carry of the short ones always finds room.
  order.reverse();
  // A carry left after the last person (their last session ran past the end) goes to the
  // persons with the longest spans again, as extra sessions (they may overlap earlier ones).
  const passes = [order, [...order].reverse(), [...order].reverse()];
  for (const [pass, list] of passes.entries()) for (const index of list) {
    if (pass > 0 && carry === 0) break;
    const person = persons[index]!;
    const userId = `user-${index}`;
    let budget = (pass === 0 ? budgets[index]! : 0) + carry;
    carry = 0;
    // An anonymous start needs two events at least: one anonymous, then the identify.
    let anonymousId = pass === 0 && person.anonymous && budget >= 2 ? `anon-${(index * 2_654_435_761 >>> 0).toString(16)}` : null;
    // The sessions' types until the budget is used (the last one cut short).
    const planned: string[][] = [];
    for (let left = budget - (anonymousId !== null ? 1 : 0); left > 0;) {
      const habit = random() < OTHER_HABIT_SHARE ? choose(random, ARCHETYPES) : person.archetype;
      const types = sessionTypes(random, habit).slice(0, left);
      planned.push(types);
      left -= types.length;
    }
    // Session starts: uniform in the person's activity-weighted time, then pushed apart so that
    // sessions are more than 30 minutes apart; sessions that no longer fit go to the carry.
    const cumulative = cumulativeWeights(person.join, person.leave, person.zone);
    const totalActivity = cumulative[cumulative.length - 1]!;
    const starts = planned.map(() => instantAt(cumulative, person.join, random() * totalActivity)).sort((a, b) => a - b);
    let earliest = person.join;
    for (const [s, types] of planned.entries()) {
      let time = Math.max(starts[s]!, earliest);
      const identify = anonymousId !== null ? 1 : 0;
      const gaps = types.map(() => 3_000 + Math.min(exponential(random, 45_000), 25 * MINUTE));
      const duration = gaps.reduce((a, b) => a + b, 0);
      if (time + duration > end || types.length + identify > budget) {
        carry += budget;
        budget = 0;
        break;
      }
      const app = random() < 0.9 ? person.app : choose(random, APPS);
      const sessionId = person.sessionIds ? `${userId}-${pass > 0 ? `p${pass}` : ''}s${s}` : undefined;
      for (const [i, type] of types.entries()) {
        const data = dataOf(random, type, person.archetype.name, (serial += 1));
        const at = Math.round(time);
        if (anonymousId !== null) {
          events.push({ time: at, wire: 'segment', body: segmentMessage(type, anonymousId, at, app, sessionId, data), person: index });
        } else {
          events.push({
            time: at, wire: 'native', person: index,
            body: { type, userId, ...(sessionId ? { sessionId } : {}), time: new Date(at).toISOString(), sourceApp: app, ...(data ? { data } : {}) },
          });
          counts.set(userId, (counts.get(userId) ?? 0) + 1);
        }
        budget -= 1;
        time += gaps[i]!;
      }
      if (anonymousId !== null) {
        // The sign-up at the end of the first visit: identify stitches the anonymous id to the user.
        const at = Math.round(time);
        events.push({
          time: at, wire: 'segment', person: index,
          body: { type: 'identify', userId, anonymousId, timestamp: new Date(at).toISOString(), traits: { email: `${userId}@example.com`, plan: choose(random, ['free', 'free', 'pro', 'team']) }, context: { app: { name: app } } },
        });
        counts.set(userId, (counts.get(userId) ?? 0) + 1);
        budget -= 1;
        anonymousId = null;
      }
      sessions += 1;
      earliest = time + SESSION_GAP_MS;
      if (budget <= 0) break;
    }
    carry += budget;
  }
  if (carry > 0) throw new Error(`${carry} events found no room (too many events for the period)`);
  events.sort((a, b) => a.time - b.time);
  return {
    options, events, sessions,
    persons: persons.map((p) => ({ userId: `user-${p.index}`, events: counts.get(`user-${p.index}`) ?? 0 })),
    anonymousPersons: persons.filter((p) => p.anonymous).length,
  };
}

function segmentMessage(type: string, anonymousId: string, at: number, app: string, sessionId: string | undefined, data: Record<string, unknown> | undefined) {
  const context = { app: { name: app }, ...(sessionId ? { sessionId } : {}) };
  const timestamp = new Date(at).toISOString();
  if (type === 'page.viewed') return { type: 'page', anonymousId, timestamp, name: String(data?.title ?? 'Page'), properties: data ?? {}, context };
  return { type: 'track', event: type, anonymousId, timestamp, properties: data ?? {}, context };
}

/**
 * The log in `waves` groups of persons (person n in group n mod waves), each group's events in
 * time order, one group after the other: a load stopped early has whole persons (a smaller tenant
 * over the whole period) instead of the whole tenant's first days. One wave is the log's order.
 */
export function inWaves(events: readonly GeneratedEvent[], waves: number): GeneratedEvent[][] {
  if (waves <= 1) return [[...events]];
  const groups: GeneratedEvent[][] = Array.from({ length: waves }, () => []);
  for (const event of events) groups[event.person % waves]!.push(event);
  return groups;
}

export interface BatchRequest { path: '/v1/events/batch' | '/v1/batch'; body: string; events: number }

/**
 * The log as batch requests in time order: native events `size` to a request, Segment messages
 * likewise in `{batch: [...]}`; a request is cut when it is full, in the order its first event came.
 */
export function requestsOf(events: readonly GeneratedEvent[], size: number): BatchRequest[] {
  const out: BatchRequest[] = [];
  let native: Record<string, unknown>[] = [];
  let segment: Record<string, unknown>[] = [];
  const flushNative = () => { if (native.length > 0) out.push({ path: '/v1/events/batch', body: JSON.stringify(native), events: native.length }); native = []; };
  const flushSegment = () => { if (segment.length > 0) out.push({ path: '/v1/batch', body: JSON.stringify({ batch: segment }), events: segment.length }); segment = []; };
  for (const event of events) {
    if (event.wire === 'native') { native.push(event.body); if (native.length >= size) flushNative(); } else { segment.push(event.body); if (segment.length >= size) flushSegment(); }
  }
  flushNative();
  flushSegment();
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      people: { type: 'string', default: process.env.PEOPLE ?? '20000' }, events: { type: 'string', default: process.env.EVENTS ?? '1000000' },
      days: { type: 'string', default: process.env.DAYS ?? '60' }, seed: { type: 'string', default: '1' }, end: { type: 'string' }, out: { type: 'string' },
    },
  });
  const started = performance.now();
  const log = generateAnalyticsLog({
    people: Number(values.people), events: Number(values.events), days: Number(values.days), seed: Number(values.seed),
    ...(values.end ? { end: Date.parse(values.end) } : {}),
  });
  const out: NodeJS.WritableStream = values.out ? createWriteStream(values.out) : process.stdout;
  for (const event of log.events) if (!out.write(`${JSON.stringify({ wire: event.wire, body: event.body })}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  if (values.out) await new Promise<void>((resolve) => out.end(() => resolve()));
  process.stderr.write(`${log.events.length} events of ${log.persons.length} persons (${log.anonymousPersons} starting anonymous), ${log.sessions} sessions, `
    + `${new Date(log.options.end - log.options.days * DAY).toISOString()} … ${new Date(log.options.end).toISOString()}, in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}
