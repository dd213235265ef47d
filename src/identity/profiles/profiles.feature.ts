/**
 * The identity feature (Segment identity): traits per user, links that stitch anonymous ids and
 * aliases to users and users to groups, all a projection of the log's identify/alias/group
 * events (the `identity` consumer), rebuilt by replaying it. It serves the Segment API, whose
 * member checks read its links, and GET /v1/users/:userId/traits.
 */
import { segmentRoutes } from '../../events/ingest/segment/segment.routes.js';
import { defineFeature } from '../../feature.js';
import { identityConsumer } from './profile.projection.js';
import { profileMigrations } from './profile.migrations.js';
import { sqlProfileStore } from './profile.sql.js';
import type { ProfileStore } from './profile.store.js';
import { profileRoutes } from './profiles.routes.js';

export const identityFeature = defineFeature<ProfileStore>({
  name: 'identity',
  migrations: profileMigrations,
  setup({ db, ingest, authenticator }) {
    const store = sqlProfileStore(db);
    return {
      consumers: [identityConsumer(store)],
      routes: [
        { plugin: segmentRoutes, options: { ingest, identity: store, authenticator } },
        { plugin: profileRoutes, options: { store } },
      ],
      // Rows carry user_id (links: the user an id was stitched to, or the group's member).
      privacy: { eraseUser: (tenantId, userId) => store.eraseUser(tenantId, userId), exportUser: async (tenantId, userId) => ({ ...(await store.exportUser(tenantId, userId)) }) },
      api: store,
    };
  },
});
