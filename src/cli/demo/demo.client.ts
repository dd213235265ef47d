/** A small client of the public HTTP API, as the demo loader uses it (fetch, JSON, bearer key). */

/** A failure the user can act on; the CLI prints its message alone. */
export class DemoError extends Error {}

export interface ApiResponse<T = any> { status: number; body: T }

export class ApiClient {
  constructor(readonly baseUrl: string, private readonly key: string, private readonly timeoutMs = 60_000) {}

  /** One request; throws DemoError when the server cannot be reached. */
  async request<T = any>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
    let response: Response;
    try {
      response = await fetch(new URL(path, this.baseUrl), {
        method,
        headers: { authorization: `Bearer ${this.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new DemoError(`no eventrag server answers at ${this.baseUrl} (${describeFetchError(error)}): start it with npm start, or pass --url`);
    }
    const text = await response.text();
    return { status: response.status, body: (text ? safeJson(text) : null) as T };
  }

  /** A request that must answer one of `ok` (default: any 2xx); otherwise DemoError with the problem's detail. */
  async expect<T = any>(method: string, path: string, body?: unknown, ok?: number[]): Promise<ApiResponse<T>> {
    const response = await this.request<T>(method, path, body);
    const fine = ok ? ok.includes(response.status) : response.status >= 200 && response.status < 300;
    if (!fine) throw new DemoError(`${method} ${path} answered ${response.status}: ${problemDetail(response.body)}`);
    return response;
  }
}

function safeJson(text: string): unknown {
  try { return JSON.parse(text); } catch { return text; }
}

export function problemDetail(body: unknown): string {
  if (body && typeof body === 'object') {
    const problem = body as { code?: string; detail?: string; title?: string };
    return [problem.code, problem.detail ?? problem.title].filter(Boolean).join(': ') || JSON.stringify(body);
  }
  return String(body);
}

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
