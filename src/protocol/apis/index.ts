// The codec's tables, derived from the registrations in all.ts.
import type { ApiSpec, RequestOf, ResponseOf } from '../schema.js';
import * as described from './all.js';

export * from './all.js';

type Described = typeof described;
/** Every API description exported from all.ts (the other exports are shared field lists and types). */
type DescribedApi = {
  [N in keyof Described]: Described[N] extends ApiSpec ? Described[N] : never;
}[keyof Described];

/** Request and response body types by API key (drives the typed codec functions). */
export type ApiBodies = {
  [A in DescribedApi as A['key']]: { request: RequestOf<A>; response: ResponseOf<A> };
};

export type KnownApiKey = keyof ApiBodies;

function isApiSpec(value: unknown): value is ApiSpec {
  return (
    typeof value === 'object' && value !== null && 'key' in value && 'request' in value && 'response' in value
  );
}

export const API_SPECS: Readonly<Record<number, ApiSpec>> = Object.freeze(
  Object.fromEntries(
    (Object.values(described) as unknown[]).filter(isApiSpec).map((spec) => [spec.key, spec]),
  ),
);
