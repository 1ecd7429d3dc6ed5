import { Entity, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { newId } from '../../lib/ids';
import { Tenant } from '../tenant/tenant.entity';
import { User } from '../user/user.entity';
import type { Scope } from './scopes';

/**
 * A bearer token. Only a SHA-256 of the secret is stored: a leaked database does not leak tokens,
 * and lookup stays a single indexed equality match.
 */
@Entity({ tableName: 'api_token' })
export class ApiToken {
  @PrimaryKey({ type: 'string', length: 40 })
  id: string = newId('token');

  @ManyToOne(() => Tenant, { mapToPk: true, fieldName: 'tenant_id', deleteRule: 'cascade' })
  tenantId!: string;

  @ManyToOne(() => User, { mapToPk: true, fieldName: 'user_id', deleteRule: 'cascade' })
  userId!: string;

  @Property({ type: 'string' })
  name!: string;

  @Property({ type: 'string', length: 64, unique: true })
  tokenHash!: string;

  @Property({ type: 'json' })
  scopes: Scope[] = [];

  @Property({ type: 'Date', nullable: true })
  expiresAt: Date | null = null;

  @Property({ type: 'Date', nullable: true })
  revokedAt: Date | null = null;

  @Property({ type: 'Date' })
  createdAt: Date = new Date();
}
