import type { Role, Tenant } from '../ports/store.port.js';

/** Who is calling: always bound to exactly one tenant. */
export interface Principal {
  kind: 'apiKey' | 'jwt';
  /** Key id or JWT subject: the rate-limit and audit identity. */
  id: string;
  tenant: Tenant;
  role: Role;
  /** Members are bound to one user id; admins and ingest keys may name any user. */
  userId: string | null;
}
