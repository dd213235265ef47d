/**
 * One place that erases or exports a person across every feature: each feature registers its
 * privacy hooks at setup, and a call reaches all of them. (The HTTP routes come later.)
 */
import type { PrivacyHooks } from '../feature.js';

export interface ErasureResult {
  /** Rows or items each feature removed. */
  byFeature: Record<string, number>;
  total: number;
}

export class PrivacyRegistry {
  readonly #hooks = new Map<string, PrivacyHooks>();

  register(feature: string, hooks: PrivacyHooks): void {
    if (this.#hooks.has(feature)) throw new Error(`privacy hooks of ${feature} are already registered`);
    this.#hooks.set(feature, hooks);
  }

  features(): string[] {
    return [...this.#hooks.keys()];
  }

  /**
   * Asks every feature to erase the user, even when one fails (hooks are idempotent, so a retry
   * after a failure finishes the job); throws after all were asked if any failed.
   */
  async eraseUser(tenantId: string, userId: string): Promise<ErasureResult> {
    const byFeature: Record<string, number> = {};
    const failures: Error[] = [];
    for (const [feature, hooks] of this.#hooks) {
      try {
        byFeature[feature] = await hooks.eraseUser(tenantId, userId);
      } catch (error) {
        failures.push(new Error(`erasing in ${feature} failed: ${(error as Error).message}`, { cause: error }));
      }
    }
    if (failures.length > 0) throw new AggregateError(failures, `erasing user failed in ${failures.length} feature(s)`);
    return { byFeature, total: Object.values(byFeature).reduce((sum, n) => sum + n, 0) };
  }

  /** Everything every feature holds about the user, by feature name; fails whole (no partial exports). */
  async exportUser(tenantId: string, userId: string): Promise<Record<string, Record<string, unknown>>> {
    const out: Record<string, Record<string, unknown>> = {};
    for (const [feature, hooks] of this.#hooks) out[feature] = await hooks.exportUser(tenantId, userId);
    return out;
  }
}
