import { registerEnumType } from 'type-graphql';

/** What a user may do beyond their token's scopes. Agents see only the inboxes they are members of. */
export enum UserRole {
  OWNER = 'owner',
  ADMIN = 'admin',
  AGENT = 'agent',
}

registerEnumType(UserRole, {
  name: 'UserRole',
  description: 'OWNER and ADMIN see the whole workspace; AGENT sees the inboxes they are a member of.',
  valuesConfig: {
    OWNER: { description: 'Owns the workspace: sees every inbox and conversation.' },
    ADMIN: { description: 'Administers the workspace: sees every inbox and conversation.' },
    AGENT: { description: 'Works conversations: sees only the inboxes they are a member of.' },
  },
});
