import type { AuthCheckerInterface, MiddlewareInterface, NextFn, ResolverData } from 'type-graphql';
import { Scope } from '../modules/auth/scopes';
import { auth, type AppContext } from './context';

const ROOT_TYPES = new Set(['Query', 'Mutation', 'Subscription']);

/**
 * The one gate every operation passes: any root field (query, mutation or subscription, present or
 * future) requires an authenticated viewer. Per-field scopes come from `@Authorized(Scope…)`.
 */
export class RequireViewer implements MiddlewareInterface<AppContext> {
  async use({ context, info }: ResolverData<AppContext>, next: NextFn): Promise<unknown> {
    if (ROOT_TYPES.has(info.parentType.name)) auth(context);
    return next();
  }
}

/** `@Authorized(Scope.X, …)`: the viewer's token must carry every listed scope. */
export class ScopeChecker implements AuthCheckerInterface<AppContext> {
  check({ context }: ResolverData<AppContext>, scopes: string[]): boolean {
    const { viewer } = auth(context);
    viewer.requireScopes(...(scopes as Scope[]));
    return true;
  }
}
