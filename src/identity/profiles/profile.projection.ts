/**
 * The `identity` consumer: a transactional projection of Segment identify/alias/group events
 * into traits and links. A batch reads the rows it touches, applies the events' facts in memory
 * and writes the changed rows in the batch's transaction, which commits with the consumer's
 * position. Each trait and each link keeps the position of the event that set it and only a
 * later event replaces it, so the result does not depend on the order events are applied in:
 * a replay, a retried event or a rebuild running while new events arrive ends in the same rows
 * as one pass over the log. Traits under an anonymous id reach its user through the link when
 * read (see the store), not by copying.
 */
import type { ConsumerDefinition } from '../../events/consumers/consumer.registry.js';
import type { LogEntry } from '../../ports/events.types.js';
import type { StoreTx } from '../../ports/store.port.js';
import { factsOf, IDENTITY_EVENT_TYPES, linkOwner, setOwn, type IdentityFact } from './profile-facts.js';
import type { LinkRow, ProfileStore, TraitsRow } from './profile.store.js';

type Fact = IdentityFact & { event: LogEntry };
type LinkFact = Extract<IdentityFact, { kind: 'link' }>;

const linkKey = (kind: string, fromId: string) => `${kind}\u0000${fromId}`;

/** The rows of one tenant a batch touches, loaded once, changed in memory, written once. */
class TenantRows {
  readonly traits = new Map<string, TraitsRow>();
  readonly links = new Map<string, LinkRow>();
  readonly changedTraits = new Set<string>();
  readonly changedLinks = new Set<string>();

  constructor(readonly tenantId: string) {}

  /** Sets each trait that no later event set. */
  merge(userId: string, traits: Record<string, unknown>, event: LogEntry): void {
    const row = this.traits.get(userId) ?? { tenantId: this.tenantId, userId, traits: {}, traitSeqs: {}, seq: 0, updatedAt: event.receivedAt };
    let changed = false;
    for (const [key, value] of Object.entries(traits)) {
      if ((row.traitSeqs[key] ?? -1) > event.seq) continue;
      setOwn(row.traits, key, value);
      setOwn(row.traitSeqs, key, event.seq);
      changed = true;
    }
    if (!changed) return;
    row.seq = Math.max(row.seq, event.seq);
    row.updatedAt = Math.max(row.updatedAt, event.receivedAt);
    this.traits.set(userId, row);
    this.changedTraits.add(userId);
  }

  /** Sets a link, unless a later event set it. */
  link(fact: LinkFact, event: LogEntry): void {
    const key = linkKey(fact.link, fact.fromId);
    const row = this.links.get(key);
    if (row && row.seq > event.seq) {
      // A later event moved the link; it was still first made no later than this one.
      if (event.receivedAt < row.createdAt) this.#changeLink(key, { ...row, createdAt: event.receivedAt });
      return;
    }
    this.#changeLink(key, {
      tenantId: this.tenantId, kind: fact.link, fromId: fact.fromId, toId: fact.toId, userId: linkOwner(fact.link, fact.fromId, fact.toId),
      seq: event.seq, createdAt: Math.min(row?.createdAt ?? event.receivedAt, event.receivedAt),
    });
  }

  #changeLink(key: string, row: LinkRow): void {
    this.links.set(key, row);
    this.changedLinks.add(key);
  }

  apply({ event, ...fact }: Fact): void {
    if (fact.kind === 'traits') this.merge(fact.userId, fact.traits, event);
    else this.link(fact, event);
  }
}

async function loadRows(store: ProfileStore, tx: StoreTx, tenantId: string, facts: Fact[]): Promise<TenantRows> {
  const rows = new TenantRows(tenantId);
  const owners = facts.flatMap((f) => (f.kind === 'traits' ? [f.userId] : []));
  const fromIds = facts.flatMap((f) => (f.kind === 'link' ? [f.fromId] : []));
  if (owners.length > 0) for (const row of await store.loadTraits(tx, tenantId, owners)) rows.traits.set(row.userId, row);
  if (fromIds.length > 0) for (const row of await store.loadLinks(tx, tenantId, fromIds)) rows.links.set(linkKey(row.kind, row.fromId), row);
  return rows;
}

/** Applies a batch's facts per tenant and writes what changed. */
export async function projectIdentity(store: ProfileStore, events: LogEntry[], tx: StoreTx): Promise<void> {
  const byTenant = new Map<string, Fact[]>();
  for (const event of events) {
    for (const fact of factsOf(event)) {
      const list = byTenant.get(event.tenantId) ?? [];
      list.push({ ...fact, event });
      byTenant.set(event.tenantId, list);
    }
  }
  for (const [tenantId, facts] of byTenant) {
    const rows = await loadRows(store, tx, tenantId, facts);
    for (const fact of facts) rows.apply(fact);
    if (rows.changedTraits.size > 0) await store.saveTraits(tx, [...rows.changedTraits].map((id) => rows.traits.get(id)!));
    if (rows.changedLinks.size > 0) await store.saveLinks(tx, [...rows.changedLinks].map((key) => rows.links.get(key)!));
  }
}

export function identityConsumer(store: ProfileStore): ConsumerDefinition {
  return {
    name: 'identity',
    description: 'Keeps Segment traits and identity links (anonymous ids, aliases, groups) from identify/alias/group events',
    types: IDENTITY_EVENT_TYPES,
    delivery: 'durable',
    // A user's traits are written by their own events only (anonymous ones by the null key's partition).
    orderBy: 'userId',
    handleBatch: (events, tx) => projectIdentity(store, events, tx),
    rebuildTenant: (tenantId, tx) => store.clearTenant(tx, tenantId),
  };
}
