import { registerEnumType } from 'type-graphql';

/** What a token may do. Names follow the REST reference so existing integrations map one to one. */
export enum Scope {
  MESSAGE_CREATE = 'message:create',
  CONVERSATION_READ = 'conversation:read',
  CONVERSATION_LIST = 'conversation:list',
  CONVERSATION_ASSIGN = 'conversation:assign',
  CONVERSATION_CLOSE = 'conversation:close',
  INBOX_MANAGE = 'inbox:manage',
}

registerEnumType(Scope, {
  name: 'Scope',
  description: 'A permission carried by an API token (`message:create`, `conversation:read`, …).',
  valuesConfig: {
    MESSAGE_CREATE: { description: 'Send messages, upload media, react.' },
    CONVERSATION_READ: { description: 'Read a conversation, its messages and window; mark it read.' },
    CONVERSATION_LIST: { description: 'List conversations and inboxes.' },
    CONVERSATION_ASSIGN: { description: 'Reassign conversations.' },
    CONVERSATION_CLOSE: { description: 'Close conversations.' },
    INBOX_MANAGE: { description: 'Create, update and archive inboxes and manage their members (owners and admins only).' },
  },
});

export const ALL_SCOPES: readonly Scope[] = Object.values(Scope);

/** Parses `message:create,conversation:read` (as the CLI and env take it); unknown names throw. */
export function parseScopes(raw: string): Scope[] {
  const names = raw.split(/[\s,]+/).filter(Boolean);
  const known = new Set<string>(ALL_SCOPES);
  for (const name of names) if (!known.has(name)) throw new Error(`Unknown scope "${name}" (known: ${ALL_SCOPES.join(', ')})`);
  return names as Scope[];
}
