/**
 * The Store contract: every Store adapter (SQLite, PostgreSQL, …) must pass it.
 * Run it with `describeStoreContract(name, factory)`; each adapter's test file supplies a fresh,
 * isolated store (its own file or schema) and a teardown that removes it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/ports/store.port.js';
import { describeConsumerContract } from './store-consumers.contract.js';
import { describeEventContract } from './store-events.contract.js';
import { describeIdentityContract } from './store-identity.contract.js';
import { describeLogContract } from './store-log.contract.js';

export interface StoreHarness {
  store: Store;
  /** Closes the store and removes its data (file, schema). */
  teardown(): Promise<void>;
}

export type StoreGetter = () => Store;

export function describeStoreContract(name: string, factory: () => Promise<StoreHarness>): void {
  describe(`Store contract: ${name}`, () => {
    let harness: StoreHarness | undefined;
    const store: StoreGetter = () => {
      if (!harness) throw new Error('store not created');
      return harness.store;
    };

    beforeAll(async () => {
      harness = await factory();
      await harness.store.migrate();
    });

    afterAll(async () => {
      await harness?.teardown();
    });

    describe('lifecycle', () => {
      it('migrates idempotently and reports ready', async () => {
        await store().migrate();
        expect(await store().ready()).toEqual({ ok: true });
      });
    });

    describeIdentityContract(store);
    describeEventContract(store);
    describeLogContract(store);
    describeConsumerContract(store);
  });
}
