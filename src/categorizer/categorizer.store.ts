/** The categorizer's store port: the intents stored beside events, and each tenant's settings. */
import type { CategorizerApi, EventIntent } from './intents.port.js';
import type { Label, Rule, StoredSettings } from './settings.js';

/** One row of `event_intents`. */
export interface IntentRow extends EventIntent {
  tenantId: string;
}

/** A change of a tenant's settings: `undefined` keeps a part, `null` puts it back to the default. */
export interface SettingsChange {
  rules?: Rule[] | null;
  labels?: Label[] | null;
  threshold?: number | null;
}

export interface CategorizerStore extends CategorizerApi {
  /**
   * Inserts or replaces the rows of these events (idempotent: the consumer delivers at least
   * once). A row never replaces one computed with a newer settings version, so a late write of
   * old settings cannot undo a recomputation.
   */
  save(rows: readonly IntentRow[]): Promise<void>;
  /** A person's rows, oldest first (privacy export). */
  ofUser(tenantId: string, userId: string): Promise<EventIntent[]>;
  /** Deletes a person's rows; returns how many went. */
  eraseUser(tenantId: string, userId: string): Promise<number>;
  /** The stored settings of these tenants (tenants that changed nothing are absent). */
  settings(tenantIds: readonly string[]): Promise<Map<string, StoredSettings>>;
  /** Applies a change and bumps the tenant's version in one statement; returns what is stored now. */
  updateSettings(tenantId: string, change: SettingsChange, now: number): Promise<StoredSettings>;
}
