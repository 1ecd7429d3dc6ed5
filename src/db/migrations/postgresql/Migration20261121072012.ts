import { Migration } from '@mikro-orm/migrations';

export class Migration20261121072012 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "pending_status" ("id" serial primary key, "inbox_id" varchar(40) not null, "channel_message_id" varchar(255) not null, "status" text check ("status" in ('pending', 'sent', 'delivered', 'read', 'failed')) not null, "failure_code" varchar(255) null, "failure_reason" varchar(255) null, "provider_event_id" varchar(255) not null, "occurred_at" timestamptz not null, "received_at" timestamptz not null);`);
    this.addSql(`create index "pending_status_inbox_id_channel_message_id_index" on "pending_status" ("inbox_id", "channel_message_id");`);

    this.addSql(`create table "idempotency_record" ("id" serial primary key, "tenant_id" varchar(40) not null, "operation" varchar(255) not null, "key" varchar(255) not null, "request_hash" varchar(64) not null, "result_id" varchar(40) not null, "created_at" timestamptz not null, "expires_at" timestamptz not null);`);
    this.addSql(`create index "idempotency_record_expires_at_index" on "idempotency_record" ("expires_at");`);
    this.addSql(`alter table "idempotency_record" add constraint "idempotency_record_tenant_id_operation_key_unique" unique ("tenant_id", "operation", "key");`);

    this.addSql(`create table "event" ("id" varchar(40) not null, "tenant_id" varchar(40) not null, "seq" bigint not null, "type" text check ("type" in ('message.added', 'message.status_changed', 'reaction.changed', 'conversation.created', 'conversation.assigned', 'conversation.read', 'conversation.closed', 'conversation.reopened', 'window.opened', 'window.shut')) not null, "inbox_id" varchar(40) null, "conversation_id" varchar(40) null, "message_id" varchar(40) null, "actor_type" text check ("actor_type" in ('user', 'customer', 'bot', 'system')) null, "actor_id" varchar(40) null, "causation_id" varchar(255) null, "payload" jsonb not null, "created_at" timestamptz not null, constraint "event_pkey" primary key ("id"));`);
    this.addSql(`create index "event_created_at_index" on "event" ("created_at");`);
    this.addSql(`create index "event_conversation_id_seq_index" on "event" ("conversation_id", "seq");`);
    this.addSql(`create index "event_tenant_id_inbox_id_seq_index" on "event" ("tenant_id", "inbox_id", "seq");`);
    this.addSql(`alter table "event" add constraint "event_tenant_id_seq_unique" unique ("tenant_id", "seq");`);

    this.addSql(`create table "media" ("id" varchar(40) not null, "tenant_id" varchar(40) not null, "uploaded_by_id" varchar(40) null, "media_kind" text check ("media_kind" in ('image', 'video', 'audio', 'document', 'sticker')) not null, "mime_type" varchar(255) not null, "filename" varchar(255) not null, "size" bigint not null, "sha256" varchar(64) not null, "storage_key" varchar(255) not null, "idempotency_key" varchar(255) null, "created_at" timestamptz not null, constraint "media_pkey" primary key ("id"));`);
    this.addSql(`alter table "media" add constraint "media_tenant_id_idempotency_key_unique" unique ("tenant_id", "idempotency_key");`);

    this.addSql(`create table "outbox_entry" ("id" varchar(40) not null, "tenant_id" varchar(40) not null, "message_id" varchar(40) not null, "inbox_id" varchar(40) not null, "state" text check ("state" in ('pending', 'done', 'failed')) not null default 'pending', "attempts" int not null default 0, "next_attempt_at" timestamptz not null, "locked_until" timestamptz null, "last_error" varchar(255) null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "outbox_entry_pkey" primary key ("id"));`);
    this.addSql(`create index "outbox_entry_state_next_attempt_at_index" on "outbox_entry" ("state", "next_attempt_at");`);
    this.addSql(`alter table "outbox_entry" add constraint "outbox_entry_message_id_unique" unique ("message_id");`);

    this.addSql(`create table "webhook_receipt" ("id" varchar(40) not null, "inbox_id" varchar(40) not null, "provider_event_id" varchar(255) not null, "received_at" timestamptz not null, constraint "webhook_receipt_pkey" primary key ("id"));`);
    this.addSql(`alter table "webhook_receipt" add constraint "webhook_receipt_inbox_id_provider_event_id_unique" unique ("inbox_id", "provider_event_id");`);

    this.addSql(`alter table "idempotency_record" add constraint "idempotency_record_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "event" add constraint "event_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "media" add constraint "media_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "media" add constraint "media_uploaded_by_id_foreign" foreign key ("uploaded_by_id") references "app_user" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "outbox_entry" add constraint "outbox_entry_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "outbox_entry" add constraint "outbox_entry_message_id_foreign" foreign key ("message_id") references "message" ("id") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "pending_status" cascade;`);

    this.addSql(`drop table if exists "idempotency_record" cascade;`);

    this.addSql(`drop table if exists "event" cascade;`);

    this.addSql(`drop table if exists "media" cascade;`);

    this.addSql(`drop table if exists "outbox_entry" cascade;`);

    this.addSql(`drop table if exists "webhook_receipt" cascade;`);
  }

}
