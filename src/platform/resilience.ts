/**
 * Resilience policies as values (cockatiel): a per-call timeout inside a retry with exponential
 * backoff inside a circuit breaker. Built in the composition root and applied around remote
 * adapters (`openai` embedder/generator), never inside them. Failures come out as AppError
 * PROVIDER_UNAVAILABLE so callers can degrade (lexical-only search, extractive answers).
 */
import {
  BrokenCircuitError,
  ConsecutiveBreaker,
  ExponentialBackoff,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleWhen,
  retry,
  timeout,
  wrap,
  type IPolicy,
} from 'cockatiel';
import type { Embedder } from '../ports/embedder.port.js';
import type { AnswerStreamEvent, Generator } from '../ports/generator.port.js';
import { AppError } from './errors.js';

export interface ResilienceConfig {
  /** Timeout of one attempt (ms). */
  timeoutMs: number;
  /** Attempts including the first (≥ 1). */
  maxAttempts: number;
  /** First backoff delay (ms); doubles per attempt with jitter, up to maxBackoffMs. */
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** Consecutive failed calls that open the breaker. */
  breakerThreshold: number;
  /** How long the breaker stays open before one trial call (ms). */
  halfOpenAfterMs: number;
}

export const DEFAULT_RESILIENCE: Readonly<ResilienceConfig> = Object.freeze({
  timeoutMs: 15_000,
  maxAttempts: 3,
  initialBackoffMs: 200,
  maxBackoffMs: 5_000,
  breakerThreshold: 5,
  halfOpenAfterMs: 30_000,
});

/** What a wrapped call sees: run `fn` with the policy's abort signal. */
export type ProviderPolicy = IPolicy;

/**
 * True for errors a retry may fix: adapters raise PROVIDER_UNAVAILABLE with `details.retryable`
 * (network, 429, 5xx). Defined here, not by an adapter, so platform depends on no adapter.
 */
export function isRetryableProviderError(error: unknown): boolean {
  return error instanceof AppError && error.code === 'PROVIDER_UNAVAILABLE' && error.details?.retryable === true;
}

/** A timed-out attempt: cockatiel's own error, or the adapter's fetch aborted by the timeout signal. */
const isCancelled = (error: unknown) => error instanceof TaskCancelledError || (error instanceof Error && error.name === 'AbortError');
const retryable = (error: Error) => isRetryableProviderError(error) || isCancelled(error);

/** Builds the policy value: breaker(retry(timeout(call))). */
export function createProviderPolicy(config: Partial<ResilienceConfig> = {}): ProviderPolicy {
  const c = { ...DEFAULT_RESILIENCE, ...config };
  const perAttempt = timeout(c.timeoutMs, TimeoutStrategy.Aggressive);
  const retries = retry(handleWhen(retryable), {
    maxAttempts: Math.max(0, c.maxAttempts - 1),
    backoff: new ExponentialBackoff({ initialDelay: c.initialBackoffMs, maxDelay: c.maxBackoffMs }),
  });
  const breaker = circuitBreaker(handleWhen(retryable), { halfOpenAfter: c.halfOpenAfterMs, breaker: new ConsecutiveBreaker(c.breakerThreshold) });
  return wrap(breaker, retries, perAttempt);
}

/** Runs `fn` under the policy, mapping timeouts and an open breaker to PROVIDER_UNAVAILABLE. */
export async function runWithPolicy<T>(policy: ProviderPolicy, what: string, fn: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
  try {
    return await policy.execute(({ signal: attemptSignal }) => fn(attemptSignal), signal);
  } catch (error) {
    if (error instanceof BrokenCircuitError) {
      throw new AppError('PROVIDER_UNAVAILABLE', { detail: `${what}: circuit open after repeated failures`, category: 'third_party', details: { retryable: false, circuit: 'open' }, cause: error });
    }
    if (isCancelled(error) && !signal?.aborted) {
      throw new AppError('PROVIDER_UNAVAILABLE', { detail: `${what}: timed out`, category: 'third_party', details: { retryable: true }, cause: error });
    }
    throw error;
  }
}

/** An embedder whose embed() runs under the policy (timeout, retry, breaker). */
export function withResilience(embedder: Embedder, policy: ProviderPolicy): Embedder {
  return {
    kind: embedder.kind,
    get model() {
      return embedder.model;
    },
    get dimension() {
      return embedder.dimension;
    },
    init: () => runWithPolicy(policy, `${embedder.kind} embedder init`, () => embedder.init()),
    close: () => embedder.close(),
    embed: ({ signal, ...params }) => runWithPolicy(policy, `${embedder.kind} embedder`, (attempt) => embedder.embed({ ...params, signal: attempt }), signal),
  };
}

/**
 * A generator under the policy. generate() is retried whole; stream() is protected until its
 * first event arrives (a stream that already produced text is not replayed).
 */
export function withGeneratorResilience(generator: Generator, policy: ProviderPolicy): Generator {
  return {
    kind: generator.kind,
    model: generator.model,
    init: () => generator.init(),
    close: () => generator.close(),
    generate: ({ signal, ...params }) => runWithPolicy(policy, `${generator.kind} generator`, (attempt) => generator.generate({ ...params, signal: attempt }), signal),
    async *stream({ signal, ...params }) {
      const { iterator, first } = await runWithPolicy(
        policy,
        `${generator.kind} generator`,
        async () => {
          const it = generator.stream({ ...params, ...(signal ? { signal } : {}) })[Symbol.asyncIterator]();
          return { iterator: it, first: await it.next() };
        },
        signal,
      );
      let step: IteratorResult<AnswerStreamEvent> = first;
      while (!step.done) {
        yield step.value;
        step = await iterator.next();
      }
    },
  };
}
