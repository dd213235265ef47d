import { describe, expect, it } from 'vitest';
import { eventTime, mapMessage, parseMessage, slugifyEventName, trackType } from '../../src/events/ingest/segment/segment.mapper.js';

describe('slugifyEventName', () => {
  it('turns Segment event names into valid event types', () => {
    expect(slugifyEventName('Video Played')).toBe('video_played');
    expect(slugifyEventName('  Checkout -- Step 2 Viewed! ')).toBe('checkout_step_2_viewed');
    expect(slugifyEventName('Café Ordered')).toBe('cafe_ordered');
    expect(slugifyEventName('article.created')).toBe('article.created');
    expect(slugifyEventName('🎉')).toBe('track');
    expect(slugifyEventName('x'.repeat(300) + ' y')).toHaveLength(128);
  });
});

describe('trackType', () => {
  it('prefers the tenant mapping, then the e-commerce defaults that fit, then the slug', () => {
    expect(trackType('Order Completed', { order_id: 'o1' }, { 'Order Completed': 'sale.done' })).toBe('sale.done');
    expect(trackType('Order Completed', { order_id: 'o1' }, {})).toBe('order.placed');
    expect(trackType('Order Completed', { orderId: 7 }, {})).toBe('order.placed');
    expect(trackType('Order Completed', { revenue: 3 }, {})).toBe('order_completed');
    expect(trackType('Products Searched', { query: '' }, {})).toBe('products_searched');
    expect(trackType('constructor', {}, {})).toBe('constructor');
  });
});

describe('eventTime', () => {
  it('uses timestamp, else corrects originalTimestamp by the client clock skew', () => {
    const receivedAt = Date.parse('2025-01-01T12:00:10Z');
    expect(eventTime({ timestamp: '2025-01-01T11:00:00Z', originalTimestamp: '2025-01-01T10:00:00Z' }, receivedAt)).toBe(Date.parse('2025-01-01T11:00:00Z'));
    // The client's clock is 1 h fast: it sent at 13:00:05 (its time) a message from 13:00:00 (its time).
    expect(eventTime({ originalTimestamp: '2025-01-01T13:00:00Z', sentAt: '2025-01-01T13:00:05Z' }, receivedAt)).toBe(Date.parse('2025-01-01T12:00:05Z'));
    expect(eventTime({ originalTimestamp: '2025-01-01T13:00:00Z' }, receivedAt)).toBe(Date.parse('2025-01-01T13:00:00Z'));
    expect(eventTime({}, receivedAt)).toBeNull();
  });
});

describe('mapMessage', () => {
  const ctx = { userId: 'u1', trackMapping: {}, receivedAt: Date.now() };

  it('links the anonymous id and keeps traits on identify', () => {
    const { kind, message } = parseMessage({ type: 'identify', userId: 'u1', anonymousId: 'a1', traits: { plan: 'pro' } }, null);
    expect(mapMessage(kind, message, ctx).effects).toEqual([
      { kind: 'link', link: 'anonymous', fromId: 'a1', toId: 'u1' },
      { kind: 'traits', userId: 'u1', traits: { plan: 'pro' } },
    ]);
  });

  it('keeps traits of an anonymous identify under its anonymous id, and numeric ids as strings', () => {
    const { kind, message } = parseMessage({ anonymousId: 42, traits: { plan: 'free' } }, 'identify');
    const mapped = mapMessage(kind, message, { ...ctx, userId: null });
    expect(mapped.effects).toEqual([{ kind: 'traits', userId: '42', traits: { plan: 'free' } }]);
    expect(mapped.item.data).toEqual({ traits: { plan: 'free' }, anonymousId: '42' });
  });

  it('takes session and source app from context, the message fields winning over properties', () => {
    const { kind, message } = parseMessage({ userId: 'u1', name: 'Home', properties: { name: 'Other', sessionId: 's-p', url: '/' }, context: { library: { name: 'analytics.js' } } }, 'page');
    const { item } = mapMessage(kind, message, ctx);
    expect(item).toMatchObject({ type: 'page.viewed', sessionId: 's-p', sourceApp: 'analytics.js', data: { name: 'Home', url: '/' } });
  });
});
