/**
 * Turns credentials into a Principal: API keys (looked up by hash, cached briefly) and JWTs
 * (HS256 secret or JWKS; tenant, user and roles from configurable claims; exp/nbf/aud/iss checked;
 * `exp` required unless JWT_MAX_TOKEN_AGE_SECONDS bounds the age of `iat`).
 */
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import { LRUCache } from 'lru-cache';
import type { Config } from '../config.js';
import { AppError } from '../platform/errors.js';
import type { Role, Store } from '../ports/store.port.js';
import { hashKey, MAX_ID_LENGTH } from './keys.service.js';
import type { Principal } from './principal.js';

/** A revoked key stops working within this long (the lookup cache's lifetime). */
const KEY_CACHE_TTL_MS = 10_000;

export class Authenticator {
  readonly #keyCache = new LRUCache<string, Principal | false>({ max: 10_000, ttl: KEY_CACHE_TTL_MS });
  readonly #jwtKey: Uint8Array | JWTVerifyGetKey | null;

  constructor(private readonly store: Store, private readonly config: Config) {
    if (config.JWT_JWKS_URL) this.#jwtKey = createRemoteJWKSet(new URL(config.JWT_JWKS_URL));
    else if (config.JWT_SECRET) this.#jwtKey = new TextEncoder().encode(config.JWT_SECRET);
    else this.#jwtKey = null;
  }

  /** Resolves a bearer credential (API key or JWT). */
  async fromBearer(token: string): Promise<Principal> {
    if (token.startsWith('er_')) return this.fromApiKey(token);
    if (token.split('.').length === 3) return this.fromJwt(token);
    throw new AppError('AUTH_INVALID', { detail: 'bearer token is neither an eventrag API key nor a JWT' });
  }

  async fromApiKey(key: string): Promise<Principal> {
    const hash = hashKey(key);
    let principal = this.#keyCache.get(hash);
    if (principal === undefined) {
      principal = await this.#lookupKey(hash);
      this.#keyCache.set(hash, principal);
    }
    if (!principal) throw new AppError('AUTH_INVALID', { detail: 'API key is not valid or was revoked' });
    return principal;
  }

  /** Forgets cached keys (after a revocation through this process). */
  forgetKeys(): void {
    this.#keyCache.clear();
  }

  async #lookupKey(hash: string): Promise<Principal | false> {
    const record = await this.store.apiKeys.findByHash(hash);
    if (!record || record.revokedAt !== null) return false;
    const tenant = await this.store.tenants.byId(record.tenantId);
    if (!tenant) return false;
    return { kind: 'apiKey', id: record.id, tenant, role: record.role, userId: record.userId };
  }

  async fromJwt(token: string): Promise<Principal> {
    if (!this.#jwtKey) throw new AppError('AUTH_INVALID', { detail: 'JWTs are not accepted: set JWT_SECRET or JWT_JWKS_URL' });
    let payload: JWTPayload;
    try {
      const options = this.#verifyOptions();
      const verified = typeof this.#jwtKey === 'function'
        ? await jwtVerify(token, this.#jwtKey, options)
        : await jwtVerify(token, this.#jwtKey, { ...options, algorithms: ['HS256'] });
      payload = verified.payload;
    } catch (error) {
      if (typeof this.#jwtKey === 'function' && keySetUnavailable(error)) throw new AppError('PROVIDER_UNAVAILABLE', { detail: 'the JWKS could not be fetched; retry later', cause: error });
      throw new AppError('AUTH_INVALID', { detail: `JWT rejected: ${(error as Error).message}`, cause: error });
    }
    return this.#principalFromClaims(payload);
  }

  /**
   * Issuer and audience when configured; `exp` required, unless JWT_MAX_TOKEN_AGE_SECONDS is set:
   * then a token may lack `exp` but needs an `iat` no older than that.
   */
  #verifyOptions(): JWTVerifyOptions {
    const maxAge = this.config.JWT_MAX_TOKEN_AGE_SECONDS;
    return {
      ...(this.config.JWT_ISSUER ? { issuer: this.config.JWT_ISSUER } : {}),
      ...(this.config.JWT_AUDIENCE ? { audience: this.config.JWT_AUDIENCE } : {}),
      ...(maxAge === undefined ? { requiredClaims: ['exp'] } : { requiredClaims: ['iat'], maxTokenAge: maxAge }),
    };
  }

  async #principalFromClaims(payload: JWTPayload): Promise<Principal> {
    const slug = payload[this.config.JWT_TENANT_CLAIM];
    if (typeof slug !== 'string' || slug.length > MAX_ID_LENGTH) throw new AppError('AUTH_INVALID', { detail: `JWT has no valid "${this.config.JWT_TENANT_CLAIM}" claim` });
    const user = payload[this.config.JWT_USER_CLAIM];
    if (user !== undefined && (typeof user !== 'string' || user.length > MAX_ID_LENGTH)) {
      throw new AppError('AUTH_INVALID', { detail: `JWT "${this.config.JWT_USER_CLAIM}" claim must be a string of at most ${MAX_ID_LENGTH} characters` });
    }
    const subject = typeof payload.sub === 'string' && payload.sub.length > 0 ? payload.sub : null;
    if (subject && subject.length > MAX_ID_LENGTH) throw new AppError('AUTH_INVALID', { detail: `JWT "sub" claim is longer than ${MAX_ID_LENGTH} characters` });
    const tenant = await this.store.tenants.bySlug(slug);
    if (!tenant) throw new AppError('AUTH_INVALID', { detail: `JWT names an unknown tenant` });
    const userId = typeof user === 'string' && user.length > 0 ? user : null;
    const role = rolesToRole(payload[this.config.JWT_ROLES_CLAIM]);
    if (role === 'member' && !userId) throw new AppError('AUTH_INVALID', { detail: `JWT of a member needs a "${this.config.JWT_USER_CLAIM}" claim` });
    return { kind: 'jwt', id: jwtPrincipalId(tenant.id, role, subject ?? userId), tenant, role, userId };
  }
}

/**
 * The key set could not be fetched (network error, timeout, non-200, not a JWKS): the token was
 * not judged, so this is the identity provider's outage (503), not a failed authentication.
 */
function keySetUnavailable(error: unknown): boolean {
  if (!(error instanceof errors.JOSEError)) return true;
  return error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || error.message.startsWith('Expected 200 OK from the JSON Web Key Set');
}

/**
 * The rate-limit identity of a JWT caller: always within its tenant (`jwt:<tenant id>:<subject>`);
 * tokens without a subject share one identity per tenant and role.
 */
export function jwtPrincipalId(tenantId: string, role: Role, subject: string | null | undefined): string {
  return subject ? `jwt:${tenantId}:${subject}` : `jwt:${tenantId}:${role}:no-subject`;
}

/** Highest role named in a roles claim (array or space-separated); members by default. */
export function rolesToRole(claim: unknown): Role {
  const roles = Array.isArray(claim) ? claim.map(String) : typeof claim === 'string' ? claim.split(/[\s,]+/) : [];
  if (roles.includes('admin')) return 'admin';
  if (roles.includes('ingest')) return 'ingest';
  return 'member';
}
