import type { Principal } from '../identity/principal.js';
import type { Role } from '../ports/store.port.js';
import type { TrackOptions } from './tracking.plugin.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Routes without credentials (health, metrics, docs). */
    public?: boolean;
    /** Roles allowed on this route (default: admin and member). */
    roles?: readonly Role[];
    /** Also accept `?access_token=` (EventSource and browser WebSockets cannot set headers). */
    queryToken?: boolean;
    /** Record an event for each call (automatic tracking). */
    track?: TrackOptions;
  }
  interface FastifyRequest {
    /** The authenticated caller; set on every non-public route. */
    principal: Principal;
    /** Extra data a handler adds to its tracked event (result ids, mode…). */
    trackData: Record<string, unknown> | null;
  }
}
