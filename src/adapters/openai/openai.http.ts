/**
 * Minimal client for OpenAI-compatible HTTP APIs (OpenAI, Ollama, vLLM, TEI, LiteLLM): JSON
 * POST with bearer auth, provider errors mapped to AppError PROVIDER_UNAVAILABLE with
 * `details.retryable` (429, 5xx, network) so resilience policies know what to retry
 * (`isRetryableProviderError` in src/platform/resilience.ts).
 */
import { AppError } from '../../platform/errors.js';

export interface OpenAiHttpConfig {
  /** Base URL including the version, e.g. `https://api.openai.com/v1`. */
  baseUrl: string;
  apiKey?: string;
  /** Extra headers (e.g. an organisation). */
  headers?: Record<string, string>;
}

/** POSTs JSON and returns the raw response when it is 2xx; throws AppError otherwise. */
export async function postJson(config: OpenAiHttpConfig, path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  const url = `${config.baseUrl.replace(/\/+$/, '')}${path}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {}),
        ...config.headers,
      },
      body: JSON.stringify(body),
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new AppError('PROVIDER_UNAVAILABLE', { detail: `provider unreachable: ${path}`, category: 'third_party', details: { retryable: true }, cause: error });
  }
  if (!response.ok) throw await providerError(response, path);
  return response;
}

async function providerError(response: Response, path: string): Promise<AppError> {
  const text = await response.text().catch(() => '');
  let message = text.slice(0, 300);
  try {
    const parsed = JSON.parse(text) as { error?: { message?: string } | string };
    message = typeof parsed.error === 'string' ? parsed.error : (parsed.error?.message ?? message);
  } catch {
    // not JSON: keep the text
  }
  const status = response.status;
  const retryAfter = Number(response.headers.get('retry-after'));
  return new AppError('PROVIDER_UNAVAILABLE', {
    detail: `provider answered ${status} on ${path}: ${message}`,
    category: 'third_party',
    details: {
      providerStatus: status,
      retryable: status === 429 || status >= 500,
      ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
    },
  });
}
