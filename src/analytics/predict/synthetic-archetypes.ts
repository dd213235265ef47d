/**
 * The habits of the synthetic log's users: one order-2 Markov chain per archetype over the
 * product's dotted event types. `after[prev]` is the first-order habit; `afterPair['a b']`
 * overrides it when the last two types were a then b ('^' for the session start), which is
 * what a higher-order model can learn and a first-order one cannot. END closes the session.
 * Weights are relative. Shared types (query.executed, page.viewed, article.viewed...) continue
 * differently per archetype, so the context also tells who is acting.
 */
export const END = 'END';

type Weights = Record<string, number>;

export interface Archetype {
  name: string;
  /** Share of persons with this archetype as their main habit. */
  share: number;
  /** Chance that an event is a random type instead of the habit (the chain's state stays). */
  noise: number;
  start: Weights;
  after: Record<string, Weights>;
  afterPair: Record<string, Weights>;
}

export const ARCHETYPES: Archetype[] = [
  {
    name: 'researcher',
    share: 0.3,
    noise: 0.06,
    start: { 'query.executed': 6, 'document.viewed': 2, 'user.signed_in': 2 },
    after: {
      'user.signed_in': { 'query.executed': 5, 'collection.viewed': 3, 'notification.opened': 2 },
      'query.executed': { 'document.viewed': 6, 'query.executed': 2, 'answer.requested': 2 },
      'document.viewed': { 'document.viewed': 4, 'answer.requested': 3, 'query.executed': 2, [END]: 1 },
      'answer.requested': { 'answer.rated': 3, 'query.executed': 3, 'document.viewed': 2, [END]: 2 },
      'answer.rated': { [END]: 6, 'query.executed': 4 },
      'collection.viewed': { 'document.viewed': 6, 'document.uploaded': 3, [END]: 1 },
      'document.uploaded': { 'document.uploaded': 3, 'query.executed': 3, [END]: 4 },
      'document.downloaded': { 'query.executed': 4, [END]: 6 },
      'notification.opened': { 'document.viewed': 6, [END]: 4 },
    },
    afterPair: {
      'query.executed document.viewed': { 'document.viewed': 6, 'query.executed': 1, 'answer.requested': 1 },
      'document.viewed document.viewed': { 'answer.requested': 7, [END]: 2, 'document.viewed': 1 },
      'answer.requested document.viewed': { 'answer.rated': 7, [END]: 3 },
      'query.executed query.executed': { 'answer.requested': 7, 'document.viewed': 3 },
      'collection.viewed document.viewed': { 'document.downloaded': 7, [END]: 3 },
      'notification.opened document.viewed': { [END]: 8, 'document.viewed': 2 },
      '^ document.viewed': { 'document.downloaded': 6, [END]: 4 },
      'answer.requested query.executed': { 'document.viewed': 3, 'answer.requested': 7 },
    },
  },
  {
    name: 'shopper',
    share: 0.3,
    noise: 0.06,
    start: { 'page.viewed': 5, 'query.executed': 3, 'product.viewed': 2 },
    after: {
      'page.viewed': { 'product.viewed': 5, 'page.viewed': 3, 'query.executed': 2 },
      'query.executed': { 'product.viewed': 8, 'query.executed': 2 },
      'product.viewed': { 'product.viewed': 4, 'cart.item_added': 3, 'query.executed': 2, [END]: 1 },
      'cart.item_added': { 'checkout.started': 4, 'product.viewed': 4, 'cart.item_removed': 1, [END]: 1 },
      'cart.item_removed': { 'product.viewed': 5, [END]: 5 },
      'checkout.started': { 'order.placed': 6, 'payment.failed': 2, [END]: 2 },
      'payment.failed': { 'checkout.started': 7, [END]: 3 },
      'order.placed': { [END]: 7, 'page.viewed': 3 },
      'article.viewed': { [END]: 6, 'page.viewed': 4 },
    },
    afterPair: {
      'page.viewed page.viewed': { 'article.viewed': 5, [END]: 5 },
      'query.executed product.viewed': { 'product.viewed': 5, 'query.executed': 3, 'cart.item_added': 2 },
      'product.viewed product.viewed': { 'cart.item_added': 6, [END]: 4 },
      'cart.item_added product.viewed': { 'cart.item_added': 7, 'checkout.started': 3 },
      'product.viewed cart.item_added': { 'checkout.started': 6, 'product.viewed': 4 },
      'payment.failed checkout.started': { 'order.placed': 5, 'payment.failed': 3, [END]: 2 },
      'page.viewed product.viewed': { 'page.viewed': 5, 'product.viewed': 3, [END]: 2 },
      '^ query.executed': { 'product.viewed': 9, 'query.executed': 1 },
    },
  },
  {
    name: 'support',
    share: 0.2,
    noise: 0.05,
    start: { 'user.signed_in': 4, 'ticket.opened': 3, 'article.viewed': 3 },
    after: {
      'user.signed_in': { 'ticket.viewed': 5, 'ticket.opened': 3, 'notification.opened': 2 },
      'ticket.opened': { 'message.sent': 8, 'article.viewed': 2 },
      'message.sent': { 'message.received': 6, 'message.sent': 2, [END]: 2 },
      'message.received': { 'message.sent': 5, 'ticket.closed': 3, [END]: 2 },
      'ticket.viewed': { 'message.sent': 5, 'ticket.closed': 3, 'ticket.reopened': 2 },
      'ticket.closed': { 'feedback.submitted': 5, [END]: 5 },
      'ticket.reopened': { 'message.sent': 8, [END]: 2 },
      'article.viewed': { 'article.viewed': 3, 'ticket.opened': 4, 'feedback.submitted': 1, [END]: 2 },
      'feedback.submitted': { [END]: 9, 'page.viewed': 1 },
      'notification.opened': { 'ticket.viewed': 7, [END]: 3 },
      'page.viewed': { [END]: 10 },
    },
    afterPair: {
      'message.sent message.received': { 'ticket.closed': 6, 'message.sent': 4 },
      'message.received message.sent': { 'message.received': 8, [END]: 2 },
      'message.sent message.sent': { 'message.received': 7, [END]: 3 },
      'article.viewed article.viewed': { 'ticket.opened': 7, [END]: 3 },
      '^ article.viewed': { [END]: 5, 'article.viewed': 5 },
      'article.viewed ticket.opened': { 'message.sent': 10 },
      'ticket.closed feedback.submitted': { [END]: 10 },
      'message.received ticket.closed': { 'feedback.submitted': 7, [END]: 3 },
      'ticket.viewed ticket.closed': { [END]: 8, 'feedback.submitted': 2 },
      'notification.opened ticket.viewed': { 'message.sent': 7, 'ticket.closed': 3 },
      'user.signed_in ticket.viewed': { 'ticket.closed': 4, 'ticket.reopened': 4, 'message.sent': 2 },
      'user.signed_in notification.opened': { 'ticket.viewed': 9, [END]: 1 },
    },
  },
  {
    name: 'browser',
    share: 0.2,
    noise: 0.15,
    start: { 'page.viewed': 6, 'article.viewed': 3, 'video.played': 1 },
    after: {
      'page.viewed': { 'page.viewed': 5, 'link.clicked': 2, 'article.viewed': 2, [END]: 1 },
      'link.clicked': { 'page.viewed': 6, 'article.viewed': 3, 'video.played': 1 },
      'article.viewed': { 'page.viewed': 3, 'article.viewed': 3, 'link.clicked': 2, 'newsletter.subscribed': 1, [END]: 1 },
      'video.played': { 'video.played': 4, 'page.viewed': 3, [END]: 3 },
      'newsletter.subscribed': { [END]: 6, 'page.viewed': 4 },
    },
    afterPair: {
      'page.viewed page.viewed': { 'page.viewed': 3, 'link.clicked': 4, [END]: 3 },
      'link.clicked page.viewed': { 'page.viewed': 6, 'article.viewed': 2, [END]: 2 },
      'article.viewed article.viewed': { 'newsletter.subscribed': 4, [END]: 4, 'page.viewed': 2 },
      'video.played video.played': { [END]: 6, 'video.played': 2, 'page.viewed': 2 },
      'link.clicked article.viewed': { 'article.viewed': 6, [END]: 4 },
    },
  },
];

/** Every type a habit can emit, plus a few only noise emits (settings, profile). */
export const ALL_TYPES: string[] = [
  ...new Set([
    ...ARCHETYPES.flatMap((a) => [...Object.keys(a.start), ...Object.keys(a.after), ...Object.values(a.after).flatMap(Object.keys), ...Object.values(a.afterPair).flatMap(Object.keys)]),
    'settings.updated',
    'profile.updated',
    'notification.dismissed',
  ]),
]
  .filter((type) => type !== END)
  .sort();
