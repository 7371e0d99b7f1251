/**
 * The dashboard's only way to the server: the same REST API as the CLI, with the
 * signed-in token as a bearer token, so RBAC and tenancy apply exactly as they do there.
 */
export const API = '/apis/strata.dev/v1alpha1';

/** A refusal or failure from the API, in its error shape (`message`, `code`). */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface ApiList<T> {
  readonly items: T[];
  readonly metadata: { readonly resourceVersion: string; readonly continue?: string };
}

export class ApiClient {
  constructor(readonly token: string) {}

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { authorization: `Bearer ${this.token}`, ...extra };
  }

  async response(path: string, init: RequestInit = {}): Promise<Response> {
    const response = await fetch(path, {
      ...init,
      headers: this.headers(init.headers as Record<string, string>),
    });
    if (!response.ok) throw new ApiFailure(response.status, await failureMessage(response));
    return response;
  }

  async json<T>(path: string): Promise<T> {
    return (await this.response(path)).json() as Promise<T>;
  }

  async text(path: string): Promise<string> {
    return (await this.response(path)).text();
  }

  /** Every page of a collection, and the revision to watch from. */
  async listAll<T>(path: string): Promise<{ items: T[]; revision: string }> {
    const items: T[] = [];
    let cont: string | undefined;
    let revision = '0';
    do {
      const query = new URLSearchParams({ limit: '1000' });
      if (cont) query.set('continue', cont);
      const page = await this.json<ApiList<T>>(`${path}?${query}`);
      items.push(...page.items);
      if (revision === '0') revision = page.metadata.resourceVersion;
      cont = page.metadata.continue;
    } while (cont);
    return { items, revision };
  }
}

async function failureMessage(response: Response): Promise<string> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { message?: string };
    return body.message ?? `${response.status} ${response.statusText}`;
  } catch {
    return text || `${response.status} ${response.statusText}`;
  }
}
