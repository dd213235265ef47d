/**
 * Counts the realtime streams (SSE and WebSocket together) open in this process, per principal
 * and per tenant, so that one caller cannot hold every connection and memory of the server.
 */
import type { Principal } from '../../identity/principal.js';
import { AppError } from '../../platform/errors.js';

export interface StreamSlotLimits {
  perPrincipal: number;
  perTenant: number;
}

/** Frees a slot; calling it again does nothing. */
export type ReleaseSlot = () => void;

export class StreamSlots {
  readonly #byPrincipal = new Map<string, number>();
  readonly #byTenant = new Map<string, number>();

  constructor(private readonly limits: StreamSlotLimits) {}

  /** Takes a slot for `principal`, or throws STREAM_LIMIT_REACHED (429) when a cap is reached. */
  acquire(principal: Principal): ReleaseSlot {
    const principalKey = `${principal.tenant.id}\u0000${principal.kind}\u0000${principal.id}`;
    const tenantKey = principal.tenant.id;
    if ((this.#byPrincipal.get(principalKey) ?? 0) >= this.limits.perPrincipal) {
      throw new AppError('STREAM_LIMIT_REACHED', { detail: `at most ${this.limits.perPrincipal} open streams per principal; close one first` });
    }
    if ((this.#byTenant.get(tenantKey) ?? 0) >= this.limits.perTenant) {
      throw new AppError('STREAM_LIMIT_REACHED', { detail: `at most ${this.limits.perTenant} open streams per tenant; close one first` });
    }
    increment(this.#byPrincipal, principalKey, 1);
    increment(this.#byTenant, tenantKey, 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      increment(this.#byPrincipal, principalKey, -1);
      increment(this.#byTenant, tenantKey, -1);
    };
  }

  /** Open streams of a tenant (for tests and diagnostics). */
  openFor(tenantId: string): number {
    return this.#byTenant.get(tenantId) ?? 0;
  }
}

function increment(counts: Map<string, number>, key: string, by: number): void {
  const next = (counts.get(key) ?? 0) + by;
  if (next > 0) counts.set(key, next);
  else counts.delete(key);
}
