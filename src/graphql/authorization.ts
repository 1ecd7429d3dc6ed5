import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, type DocumentNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import { Authorized, Extensions, type AuthCheckerInterface, type ResolverData } from 'type-graphql';
import { Scope } from '../modules/auth/scopes';
import { auth, type AppContext } from './context';

/** Whether a selection reaches anything but introspection (`__schema`, `__type`, `__typename`). */
function selectsData(set: SelectionSetNode, document: DocumentNode, seen = new Set<string>()): boolean {
  return set.selections.some((sel) => {
    if (sel.kind === Kind.FIELD) return !sel.name.value.startsWith('__');
    if (sel.kind === Kind.INLINE_FRAGMENT) return selectsData(sel.selectionSet, document, seen);
    if (seen.has(sel.name.value)) return false;
    seen.add(sel.name.value);
    const fragment = document.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === sel.name.value);
    return fragment?.kind === Kind.FRAGMENT_DEFINITION ? selectsData(fragment.selectionSet, document, seen) : false;
  });
}

/**
 * The one gate every operation passes, over HTTP and websockets alike: an operation that selects
 * any root field (query, mutation or subscription, present or future) needs an authenticated
 * viewer; only introspection is open, so the playground can show the schema. Checked once per
 * operation, not once per field. Per-field scopes come from `@Authorized(Scope…)`.
 */
export function requireViewer(ctx: AppContext, operation: OperationDefinitionNode, document: DocumentNode): void {
  if (ctx.viewer || !selectsData(operation.selectionSet, document)) return;
  try {
    auth(ctx);
  } catch (error) {
    const message = (error as Error).message;
    throw new GraphQLError(message, { originalError: error as Error, extensions: { http: unauthorizedHttp(ctx.authError, message) } });
  }
}

/**
 * The `WWW-Authenticate` value of a 401 (RFC 6750 §3): a bare challenge when no token was sent,
 * `error="invalid_token"` when one was sent and refused, so a client knows to get a new token
 * rather than to add one.
 */
export function bearerChallenge(authError: AppContext['authError'], description: string): string {
  if (!authError) return 'Bearer realm="switchboard"';
  return `Bearer realm="switchboard", error="${authError}", error_description="${description.replace(/["\\]/g, '')}"`;
}

/** Apollo's `extensions.http` for an operation refused as UNAUTHENTICATED: status 401 and its challenge. */
export function unauthorizedHttp(
  authError: AppContext['authError'],
  description: string,
): { status: number; headers: Map<string, string> } {
  return { status: 401, headers: new Map([['www-authenticate', bearerChallenge(authError, description)]]) };
}

/** Apollo plugin applying {@link requireViewer} to every HTTP operation. */
export function requireViewerPlugin(): ApolloServerPlugin<AppContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, operation, document }) {
          if (operation) requireViewer(contextValue, operation, document);
        },
      };
    },
  };
}

/** `@Authorized(Scope.X, …)`: the viewer's token must carry every listed scope. */
export class ScopeChecker implements AuthCheckerInterface<AppContext> {
  check({ context }: ResolverData<AppContext>, scopes: string[]): boolean {
    const { viewer } = auth(context);
    viewer.requireScopes(...(scopes as Scope[]));
    return true;
  }
}

/** The field extension naming the scopes a field needs: what {@link RequireScopes} declares, readable from the built schema. */
export const REQUIRED_SCOPES_EXTENSION = 'requiredScopes';

/**
 * The viewer's token must carry every listed scope to resolve this field (else FORBIDDEN for the
 * field alone). Also records the scopes in the field's extensions (`requiredScopes`), so tests can
 * walk the built schema and prove which fields are guarded. Use it rather than `@Authorized`.
 */
export function RequireScopes(...scopes: Scope[]): MethodDecorator & PropertyDecorator {
  const authorized = Authorized(...scopes) as MethodDecorator & PropertyDecorator;
  const extensions = Extensions({ [REQUIRED_SCOPES_EXTENSION]: scopes }) as MethodDecorator & PropertyDecorator;
  return ((target: object, key: string | symbol, descriptor?: PropertyDescriptor) => {
    authorized(target, key, descriptor!);
    extensions(target, key, descriptor!);
  }) as MethodDecorator & PropertyDecorator;
}
