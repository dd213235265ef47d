import type { Store } from '../ports/store.port.js';
import { createApiKey } from './keys.service.js';

export interface DemoCredentials {
  tenant: string;
  adminKey: string;
  ingestKey: string;
}

/** Creates the `demo` tenant with an admin and an ingest key the first time; returns the keys only then. */
export async function ensureDemoTenant(store: Store): Promise<DemoCredentials | null> {
  const { tenant, created } = await store.tenants.ensure('demo', 'Demo');
  if (!created) return null;
  const admin = await createApiKey(store, { tenantId: tenant.id, role: 'admin', name: 'demo admin' });
  const ingest = await createApiKey(store, { tenantId: tenant.id, role: 'ingest', name: 'demo ingest' });
  return { tenant: tenant.slug, adminKey: admin.key, ingestKey: ingest.key };
}
