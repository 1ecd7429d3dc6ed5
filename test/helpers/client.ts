import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type GraphQLFormattedError } from 'graphql';

/** What the server answered, with the HTTP status for tests that care about it. */
export interface GqlResponse<TData> {
  status: number;
  data?: TData | null;
  errors?: GraphQLFormattedError[];
  extensions?: Record<string, unknown>;
  headers: Headers;
}

/** A small typed GraphQL-over-HTTP client for tests, driven by codegen's TypedDocumentNodes. */
export class GqlClient {
  constructor(
    readonly url: string,
    readonly token: string | null,
  ) {}

  /** Sends an operation and returns the whole response (data, errors, extensions, status). */
  async request<TData, TVars>(
    doc: TypedDocumentNode<TData, TVars>,
    variables?: TVars,
    opts: { headers?: Record<string, string> } = {},
  ): Promise<GqlResponse<TData>> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...opts.headers,
      },
      body: JSON.stringify({ query: print(doc), variables }),
    });
    const body = (await res.json()) as Omit<GqlResponse<TData>, 'status' | 'headers'>;
    return { ...body, status: res.status, headers: res.headers };
  }

  /** Sends an operation and returns its data, failing loudly when the server reported errors. */
  async data<TData, TVars>(doc: TypedDocumentNode<TData, TVars>, variables?: TVars): Promise<TData> {
    const res = await this.request(doc, variables);
    if (res.errors?.length || !res.data) {
      throw new Error(`GraphQL errors: ${JSON.stringify(res.errors ?? res, null, 2)}`);
    }
    return res.data;
  }

  /** Sends a raw query string (for malformed-input tests that codegen would reject). */
  async raw(query: string, variables?: Record<string, unknown>): Promise<GqlResponse<Record<string, unknown>>> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as Omit<GqlResponse<Record<string, unknown>>, 'status' | 'headers'>;
    return { ...body, status: res.status, headers: res.headers };
  }
}

/** The `extensions.code` of the first error, for terse assertions. */
export function errorCode(res: { errors?: readonly GraphQLFormattedError[] }): string | undefined {
  return res.errors?.[0]?.extensions?.code as string | undefined;
}
