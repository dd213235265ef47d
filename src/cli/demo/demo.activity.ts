/**
 * The sample shop's events, generated from a fixed seed: the catalogue (article.created,
 * customer.created), a few hundred users with sessions of page views, searches and orders over
 * the week before `anchorMs`, and one low-stock alert. Same anchor, same events and keys.
 */
import { ARTICLES, CUSTOMERS, type DemoArticle } from './demo.catalog.js';
import { seededRandom } from '../../platform/random.js';

export interface DemoEvent {
  type: string;
  userId?: string;
  sessionId?: string;
  sourceApp?: string;
  time: string;
  idempotencyKey: string;
  data: Record<string, unknown>;
}

export const DEMO_USERS = 300;
const SEED = 20_260_101;
const DAY_MS = 86_400_000;
const SOURCE_APP = 'shop-web';
/** The article whose stock runs low; its alert is the last event sent. */
export const LOW_STOCK_ARTICLE = 'A-1010';

const QUERIES = [
  'akku bohrschrauber', 'hex bolts', 'drehmomentschlüssel', 'torque wrench', 'gartenschlauch 25 m', 'safety boots',
  'schutzbrille', 'wall plugs', 'multimeter', 'werkbank', 'pressure washer', 'holzschrauben torx', 'winkelschleifer 125',
  'ear defenders', 'rückgabe', 'return policy', 'socket set', 'stichsäge', 'led work light', 'dübel 8mm',
];

const iso = (ms: number) => new Date(ms).toISOString();
const pad = (n: number, width = 3) => String(n).padStart(width, '0');

function catalogueEvents(anchorMs: number): DemoEvent[] {
  const time = iso(anchorMs - 8 * DAY_MS);
  return [
    ...ARTICLES.map(({ language: _language, ...article }) => ({
      type: 'article.created', time, sourceApp: 'shop-erp', idempotencyKey: `demo:article:${article.articleId}`, data: { ...article },
    })),
    ...CUSTOMERS.map((customer) => ({
      type: 'customer.created', time, sourceApp: 'shop-crm', idempotencyKey: `demo:customer:${customer.customerId}`, data: { ...customer },
    })),
  ];
}

interface Session { userId: string; sessionId: string; customerId: string | null; start: number }

function sessionEvents(random: () => number, session: Session, nextOrder: () => string): DemoEvent[] {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const events: DemoEvent[] = [];
  let at = session.start;
  const add = (type: string, data: Record<string, unknown>) => {
    at += 15_000 + Math.floor(random() * 105_000);
    events.push({ type, userId: session.userId, sessionId: session.sessionId, sourceApp: SOURCE_APP, time: iso(at), idempotencyKey: `demo:${session.sessionId}:${events.length}`, data });
  };
  add('page.viewed', { path: '/', title: 'Werkhaus – tools and hardware', referrer: pick(['https://www.google.com/', 'https://duckduckgo.com/', '']) });
  const views = 1 + Math.floor(random() * 8);
  const seen: DemoArticle[] = [];
  for (let i = 0; i < views; i++) {
    if (random() < 0.25) {
      const query = pick(QUERIES);
      add('query.executed', { query, resultCount: Math.floor(random() * 12), latencyMs: 8 + Math.floor(random() * 60), collection: 'articles' });
    }
    const article = pick(ARTICLES);
    seen.push(article);
    add('page.viewed', { path: `/articles/${article.articleId}`, title: article.name, articleId: article.articleId });
  }
  if (random() < 0.3) {
    const lines = [...new Set(seen.slice(-3))].map((a) => ({ articleId: a.articleId, quantity: 1 + Math.floor(random() * 4), price: a.price }));
    const total = Math.round(lines.reduce((sum, l) => sum + l.quantity * l.price, 0) * 100) / 100;
    add('page.viewed', { path: '/checkout', title: 'Checkout' });
    add('order.placed', { orderId: nextOrder(), ...(session.customerId ? { customerId: session.customerId } : {}), total, currency: 'EUR', lines });
  }
  return events;
}

function activityEvents(anchorMs: number): DemoEvent[] {
  const random = seededRandom(SEED);
  let orders = 0;
  const nextOrder = () => `O-${10_001 + orders++}`;
  const events: DemoEvent[] = [];
  for (let u = 1; u <= DEMO_USERS; u++) {
    const userId = `u-${pad(u)}`;
    const customerId = u <= CUSTOMERS.length ? CUSTOMERS[u - 1]!.customerId : null;
    const sessions = 1 + Math.floor(random() * 4);
    for (let s = 1; s <= sessions; s++) {
      const start = anchorMs - 7 * DAY_MS + Math.floor(random() * (7 * DAY_MS - 3_600_000));
      events.push(...sessionEvents(random, { userId, sessionId: `${userId}-s${s}`, customerId, start }, nextOrder));
    }
  }
  return events.sort((a, b) => a.time.localeCompare(b.time) || a.idempotencyKey.localeCompare(b.idempotencyKey));
}

/** The low-stock alert: sent last, so its presence means the whole set was loaded. */
export function lowStockEvent(anchorMs: number): DemoEvent {
  const article = ARTICLES.find((a) => a.articleId === LOW_STOCK_ARTICLE)!;
  return {
    type: 'stock.low_detected', time: iso(anchorMs - 600_000), sourceApp: 'shop-erp', idempotencyKey: `demo:stock-low:${article.articleId}`,
    // quantity and threshold are the catalog's names; currentStock and reorderPoint those of the shop's ERP.
    data: { articleId: article.articleId, currentStock: article.stock, reorderPoint: 10, quantity: article.stock, threshold: 10, warehouse: 'Hamburg' },
  };
}

/** Every event of the sample data, in the order it is sent. */
export function demoEvents(anchorMs: number): DemoEvent[] {
  return [...catalogueEvents(anchorMs), ...activityEvents(anchorMs), lowStockEvent(anchorMs)];
}
