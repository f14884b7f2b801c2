// Routes are functions of a request so they can be tested in-process without a port.
export interface HttpRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | undefined>;
  body: Buffer;
}

export interface HttpResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export type Handler = (req: HttpRequest) => Promise<HttpResponse> | HttpResponse;

export function json(status: number, value: unknown): HttpResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(value, null, 2) + '\n' };
}

export function problem(status: number, message: string): HttpResponse {
  return json(status, { error: message });
}
