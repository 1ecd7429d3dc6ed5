import { Migration } from '@mikro-orm/migrations';

export class Migration20261121074752 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "pending_status" ("id" serial primary key, "inbox_id" varchar(40) not null, "channel_message_id" varchar(255) not null, "status" text check ("status" in ('pending', 'sent', 'delivered', 'read', 'failed')) not null, "failure_code" varchar(255) null, "failure_reason" varchar(255) null, "provider_event_id" varchar(255) not null, "occurred_at" timestamptz not null, "received_at" timestamptz not null);`);
    this.addSql(`create index "pending_status_inbox_id_channel_message_id_index" on "pending_status" ("inbox_id", "channel_message_id");`);

    this.addSql(`create table "tenant" ("id" varchar(40) not null, "name" varchar(255) not null, "event_seq" bigint not null default 0, "created_at" timestamptz not null, constraint "tenant_pkey" primary key ("id"));`);

    this.addSql(`create table "inbox" ("id" varchar(40) not null, "tenant_id" varchar(40) not null, "name" varchar(255) not null, "channel" text check ("channel" in ('whatsapp', 'sms', 'instagram', 'messenger', 'webchat', 'email', 'telegram')) not null, "provider" varchar(255) not null default 'sandbox', "sender_address" varchar(255) not null, "window_hours" int null, "human_agent_window_hours" int null, "provider_config" jsonb not null, "created_at" timestamptz not null, constraint "inbox_pkey" primary key ("id"));`);
    this.addSql(`create index "inbox_tenant_id_name_index" on "inbox" ("tenant_id", "name");`);

    this.addSql(`create table "idempotency_record" ("id" serial primary key, "tenant_id" varchar(40) not null, "operation" varchar(255) not null, "key" varchar(255) not null, "request_hash" varchar(64) not null, "result_id" varchar(40) not null, "created_at" timestamptz not null, "expires_at" timestamptz not null);`);
    this.addSql(`create index "idempotency_record_expires_at_index" on "idempotency_record" ("expires_at");`);
    this.addSql(`alter table "idempotency_record" add constraint "idempotency_record_tenant_id_operation_key_unique" unique ("tenant_id", "operation", "key");`);

    this.addSql(`create table "event" ("id" varchar(40) not null, "tenant_id" varchar(40) not null, "seq" bigint not null, "type" text check ("type" in ('message.added', 'message.status_changed', 'reaction.changed', 'conversation.created', 'conversation.assigned', 'conversation.read', 'conversation.closed', 'conversation.reopened', 'window.opened', 'window.shut')) not null, "inbox_id" varchar(40) null, "conversation_id" varchar(40) null, "message_id" varchar(40) null, "actor_type" text check ("actor_type" in ('user', 'customer', 'bot', 'system')) null, "actor_id" varchar(40) null, "causation_id" varchar(255) null, "payload" jsonb not null, "created_at" timestamptz not null, constraint "event_pkey" primary key ("id"));`);
    this.addSql(`create index "event_created_at_index" on "event" ("created_at");`);
    this.addSql(`create index "event_conversation_id_seq_index" on "event" ("conversation_id", "seq");`);
    this.addSql(`create index "event_tenant_id_inbox_id_seq_index" on "event" ("tenant_id", "inbox_id", "seq");`);
    this.addSql(`alter table "event" add constraint "event_tenant_id_seq_unique" unique ("tenant_id", "seq");`);

    this.addSql(`create table "contact" ("id" varchar(40) not null, "tenant_id" varchar(40) not null, "name" varchar(255) null, "created_at" timestamptz not null, constraint "contact_pkey" primary key ("id"));`);
    this.addSql(`create index "contact_tenant_id_name_index" on "contact" ("tenant_id", "name");`);

    this.addSql(`create table "contact_identity" ("id" varchar(40) not null, "tenant_id" varchar(40) not null, "contact_id" varchar(40) not null, "channel" text check ("channel" in ('whatsapp', 'sms', 'instagram', 'messenger', 'webchat', 'email', 'telegram')) not null, "address" varchar(255) not null, constraint "contact_identity_pkey" primary key ("id"));`);
    this.addSql(`create index "contact_identity_contact_id_index" on "contact_identity" ("contact_id");`);
    this.addSql(`alter table "contact_identity" add constraint "contact_identity_tenant_id_channel_address_unique" unique ("tenant_id", "channel", "address");`);

    this.addSql(`create table "app_user" ("id" varchar(40) not null, "tenant_id" varchar(40) not null, "name" varchar(255) not null, "email" varchar(255) not null, "role" text check ("role" in ('owner', 'admin', 'agent')) not null default 'agent', "bot" boolean not null default false, "active" boolean not null default true, "created_at" timestamptz not null, constraint "app_user_pkey" primary key ("id"));`);
    this.addSql(`alter table "app_user" add constraint "app_user_tenant_id_email_unique" unique ("tenant_id", "email");`);

    this.addSql(`create table "media" ("id" varchar(40) not null, "tenant_id" varchar(40) not null, "uploaded_by_id" varchar(40) null, "media_kind" text check ("media_kind" in ('image', 'video', 'audio', 'document', 'sticker')) not null, "mime_type" varchar(255) not null, "filename" varchar(255) not null, "size" bigint not null, "sha256" varchar(64) not null, "storage_key" varchar(255) not null, "idempotency_key" varchar(255) null, "created_at" timestamptz not null, constraint "media_pkey" primary key ("id"));`);
    this.addSql(`alter table "media" add constraint "media_tenant_id_idempotency_key_unique" unique ("tenant_id", "idempotency_key");`);

    this.addSql(`create table "inbox_member" ("id" serial primary key, "tenant_id" varchar(40) not null, "inbox_id" varchar(40) not null, "user_id" varchar(40) not null, "created_at" timestamptz not null);`);
    this.addSql(`create index "inbox_member_inbox_id_index" on "inbox_member" ("inbox_id");`);
    this.addSql(`alter table "inbox_member" add constraint "inbox_member_user_id_inbox_id_unique" unique ("user_id", "inbox_id");`);

    this.addSql(`create table "conversation" ("id" varchar(40) not null, "tenant_id" varchar(40) not null, "inbox_id" varchar(40) not null, "contact_id" varchar(40) not null, "channel" text check ("channel" in ('whatsapp', 'sms', 'instagram', 'messenger', 'webchat', 'email', 'telegram')) not null, "external_id" varchar(255) not null, "name" varchar(255) null, "status" text check ("status" in ('open', 'closed')) not null default 'open', "assignee_id" varchar(40) null, "current_session_id" varchar(40) null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "last_activity_at" timestamptz not null, "last_message_at" timestamptz null, "last_message_id" varchar(40) null, "last_message_preview" varchar(255) null, "last_message_sender" text check ("last_message_sender" in ('user', 'customer', 'bot', 'system')) null, "last_inbound_at" timestamptz null, constraint "conversation_pkey" primary key ("id"));`);
    this.addSql(`create index "conversation_contact_id_index" on "conversation" ("contact_id");`);
    this.addSql(`create index "conversation_inbox_id_contact_id_status_index" on "conversation" ("inbox_id", "contact_id", "status");`);
    this.addSql(`create index "conversation_tenant_id_channel_last_activity_at_id_index" on "conversation" ("tenant_id", "channel", "last_activity_at", "id");`);
    this.addSql(`create index "conversation_tenant_id_assignee_id_last_activity_at_id_index" on "conversation" ("tenant_id", "assignee_id", "last_activity_at", "id");`);
    this.addSql(`create index "conversation_tenant_id_status_last_activity_at_id_index" on "conversation" ("tenant_id", "status", "last_activity_at", "id");`);
    this.addSql(`create index "conversation_tenant_id_inbox_id_last_activity_at_id_index" on "conversation" ("tenant_id", "inbox_id", "last_activity_at", "id");`);
    this.addSql(`create index "conversation_tenant_id_last_activity_at_id_index" on "conversation" ("tenant_id", "last_activity_at", "id");`);

    this.addSql(`create table "read_marker" ("id" varchar(40) not null, "tenant_id" varchar(40) not null, "conversation_id" varchar(40) not null, "user_id" varchar(40) not null, "last_read_message_id" varchar(40) not null, "updated_at" timestamptz not null, constraint "read_marker_pkey" primary key ("id"));`);
    this.addSql(`create index "read_marker_user_id_index" on "read_marker" ("user_id");`);
    this.addSql(`alter table "read_marker" add constraint "read_marker_conversation_id_user_id_unique" unique ("conversation_id", "user_id");`);

    this.addSql(`create table "message" ("id" varchar(40) not null, "tenant_id" varchar(40) not null, "conversation_id" varchar(40) not null, "inbox_id" varchar(40) not null, "session_id" varchar(40) null, "direction" text check ("direction" in ('inbound', 'outbound', 'internal')) not null, "sender_type" text check ("sender_type" in ('user', 'customer', 'bot', 'system')) not null, "sender_user_id" varchar(40) null, "content_kind" text check ("content_kind" in ('text', 'media', 'template', 'rich', 'note')) not null, "content" jsonb not null, "delivery_status" text check ("delivery_status" in ('pending', 'sent', 'delivered', 'read', 'failed')) null, "failure_code" varchar(255) null, "failure_reason" varchar(255) null, "channel_message_id" varchar(255) null, "client_message_id" varchar(255) null, "reply_to_id" varchar(40) null, "status_history" jsonb not null, "last_status_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "message_pkey" primary key ("id"));`);
    this.addSql(`create index "message_sender_user_id_conversation_id_index" on "message" ("sender_user_id", "conversation_id");`);
    this.addSql(`create index "message_conversation_id_id_index" on "message" ("conversation_id", "id");`);
    this.addSql(`alter table "message" add constraint "message_inbox_id_channel_message_id_unique" unique ("inbox_id", "channel_message_id");`);

    this.addSql(`create table "reaction" ("id" varchar(40) not null, "tenant_id" varchar(40) not null, "message_id" varchar(40) not null, "conversation_id" varchar(40) not null, "actor_type" text check ("actor_type" in ('user', 'customer', 'bot', 'system')) not null, "actor_id" varchar(40) not null, "emoji" varchar(255) not null, "created_at" timestamptz not null, constraint "reaction_pkey" primary key ("id"));`);
    this.addSql(`create index "reaction_conversation_id_index" on "reaction" ("conversation_id");`);
    this.addSql(`alter table "reaction" add constraint "reaction_message_id_actor_type_actor_id_unique" unique ("message_id", "actor_type", "actor_id");`);

    this.addSql(`create table "outbox_entry" ("id" varchar(40) not null, "tenant_id" varchar(40) not null, "message_id" varchar(40) not null, "inbox_id" varchar(40) not null, "state" text check ("state" in ('pending', 'done', 'failed')) not null default 'pending', "attempts" int not null default 0, "next_attempt_at" timestamptz not null, "locked_until" timestamptz null, "last_error" varchar(255) null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "outbox_entry_pkey" primary key ("id"));`);
    this.addSql(`create index "outbox_entry_state_next_attempt_at_index" on "outbox_entry" ("state", "next_attempt_at");`);
    this.addSql(`alter table "outbox_entry" add constraint "outbox_entry_message_id_unique" unique ("message_id");`);

    this.addSql(`create table "conversation_session" ("id" varchar(40) not null, "tenant_id" varchar(40) not null, "conversation_id" varchar(40) not null, "inbox_id" varchar(40) not null, "opened_at" timestamptz not null, "closed_at" timestamptz null, constraint "conversation_session_pkey" primary key ("id"));`);
    this.addSql(`create index "conversation_session_conversation_id_opened_at_index" on "conversation_session" ("conversation_id", "opened_at");`);

    this.addSql(`create table "api_token" ("id" varchar(40) not null, "tenant_id" varchar(40) not null, "user_id" varchar(40) not null, "name" varchar(255) not null, "token_hash" varchar(64) not null, "scopes" jsonb not null, "expires_at" timestamptz null, "revoked_at" timestamptz null, "created_at" timestamptz not null, constraint "api_token_pkey" primary key ("id"));`);
    this.addSql(`alter table "api_token" add constraint "api_token_token_hash_unique" unique ("token_hash");`);

    this.addSql(`create table "webhook_receipt" ("id" varchar(40) not null, "inbox_id" varchar(40) not null, "provider_event_id" varchar(255) not null, "received_at" timestamptz not null, constraint "webhook_receipt_pkey" primary key ("id"));`);
    this.addSql(`alter table "webhook_receipt" add constraint "webhook_receipt_inbox_id_provider_event_id_unique" unique ("inbox_id", "provider_event_id");`);

    this.addSql(`alter table "inbox" add constraint "inbox_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "idempotency_record" add constraint "idempotency_record_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "event" add constraint "event_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "contact" add constraint "contact_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "contact_identity" add constraint "contact_identity_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "contact_identity" add constraint "contact_identity_contact_id_foreign" foreign key ("contact_id") references "contact" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "app_user" add constraint "app_user_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "media" add constraint "media_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "media" add constraint "media_uploaded_by_id_foreign" foreign key ("uploaded_by_id") references "app_user" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "inbox_member" add constraint "inbox_member_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "inbox_member" add constraint "inbox_member_inbox_id_foreign" foreign key ("inbox_id") references "inbox" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "inbox_member" add constraint "inbox_member_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "conversation" add constraint "conversation_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "conversation" add constraint "conversation_inbox_id_foreign" foreign key ("inbox_id") references "inbox" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "conversation" add constraint "conversation_contact_id_foreign" foreign key ("contact_id") references "contact" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "conversation" add constraint "conversation_assignee_id_foreign" foreign key ("assignee_id") references "app_user" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "read_marker" add constraint "read_marker_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "read_marker" add constraint "read_marker_conversation_id_foreign" foreign key ("conversation_id") references "conversation" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "read_marker" add constraint "read_marker_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "message" add constraint "message_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "message" add constraint "message_conversation_id_foreign" foreign key ("conversation_id") references "conversation" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "message" add constraint "message_inbox_id_foreign" foreign key ("inbox_id") references "inbox" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "message" add constraint "message_sender_user_id_foreign" foreign key ("sender_user_id") references "app_user" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "reaction" add constraint "reaction_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "reaction" add constraint "reaction_message_id_foreign" foreign key ("message_id") references "message" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "reaction" add constraint "reaction_conversation_id_foreign" foreign key ("conversation_id") references "conversation" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "outbox_entry" add constraint "outbox_entry_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "outbox_entry" add constraint "outbox_entry_message_id_foreign" foreign key ("message_id") references "message" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "conversation_session" add constraint "conversation_session_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "conversation_session" add constraint "conversation_session_conversation_id_foreign" foreign key ("conversation_id") references "conversation" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "conversation_session" add constraint "conversation_session_inbox_id_foreign" foreign key ("inbox_id") references "inbox" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "api_token" add constraint "api_token_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "api_token" add constraint "api_token_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "inbox" drop constraint "inbox_tenant_id_foreign";`);

    this.addSql(`alter table "idempotency_record" drop constraint "idempotency_record_tenant_id_foreign";`);

    this.addSql(`alter table "event" drop constraint "event_tenant_id_foreign";`);

    this.addSql(`alter table "contact" drop constraint "contact_tenant_id_foreign";`);

    this.addSql(`alter table "contact_identity" drop constraint "contact_identity_tenant_id_foreign";`);

    this.addSql(`alter table "app_user" drop constraint "app_user_tenant_id_foreign";`);

    this.addSql(`alter table "media" drop constraint "media_tenant_id_foreign";`);

    this.addSql(`alter table "inbox_member" drop constraint "inbox_member_tenant_id_foreign";`);

    this.addSql(`alter table "conversation" drop constraint "conversation_tenant_id_foreign";`);

    this.addSql(`alter table "read_marker" drop constraint "read_marker_tenant_id_foreign";`);

    this.addSql(`alter table "message" drop constraint "message_tenant_id_foreign";`);

    this.addSql(`alter table "reaction" drop constraint "reaction_tenant_id_foreign";`);

    this.addSql(`alter table "outbox_entry" drop constraint "outbox_entry_tenant_id_foreign";`);

    this.addSql(`alter table "conversation_session" drop constraint "conversation_session_tenant_id_foreign";`);

    this.addSql(`alter table "api_token" drop constraint "api_token_tenant_id_foreign";`);

    this.addSql(`alter table "inbox_member" drop constraint "inbox_member_inbox_id_foreign";`);

    this.addSql(`alter table "conversation" drop constraint "conversation_inbox_id_foreign";`);

    this.addSql(`alter table "message" drop constraint "message_inbox_id_foreign";`);

    this.addSql(`alter table "conversation_session" drop constraint "conversation_session_inbox_id_foreign";`);

    this.addSql(`alter table "contact_identity" drop constraint "contact_identity_contact_id_foreign";`);

    this.addSql(`alter table "conversation" drop constraint "conversation_contact_id_foreign";`);

    this.addSql(`alter table "media" drop constraint "media_uploaded_by_id_foreign";`);

    this.addSql(`alter table "inbox_member" drop constraint "inbox_member_user_id_foreign";`);

    this.addSql(`alter table "conversation" drop constraint "conversation_assignee_id_foreign";`);

    this.addSql(`alter table "read_marker" drop constraint "read_marker_user_id_foreign";`);

    this.addSql(`alter table "message" drop constraint "message_sender_user_id_foreign";`);

    this.addSql(`alter table "api_token" drop constraint "api_token_user_id_foreign";`);

    this.addSql(`alter table "read_marker" drop constraint "read_marker_conversation_id_foreign";`);

    this.addSql(`alter table "message" drop constraint "message_conversation_id_foreign";`);

    this.addSql(`alter table "reaction" drop constraint "reaction_conversation_id_foreign";`);

    this.addSql(`alter table "conversation_session" drop constraint "conversation_session_conversation_id_foreign";`);

    this.addSql(`alter table "reaction" drop constraint "reaction_message_id_foreign";`);

    this.addSql(`alter table "outbox_entry" drop constraint "outbox_entry_message_id_foreign";`);

    this.addSql(`drop table if exists "pending_status" cascade;`);

    this.addSql(`drop table if exists "tenant" cascade;`);

    this.addSql(`drop table if exists "inbox" cascade;`);

    this.addSql(`drop table if exists "idempotency_record" cascade;`);

    this.addSql(`drop table if exists "event" cascade;`);

    this.addSql(`drop table if exists "contact" cascade;`);

    this.addSql(`drop table if exists "contact_identity" cascade;`);

    this.addSql(`drop table if exists "app_user" cascade;`);

    this.addSql(`drop table if exists "media" cascade;`);

    this.addSql(`drop table if exists "inbox_member" cascade;`);

    this.addSql(`drop table if exists "conversation" cascade;`);

    this.addSql(`drop table if exists "read_marker" cascade;`);

    this.addSql(`drop table if exists "message" cascade;`);

    this.addSql(`drop table if exists "reaction" cascade;`);

    this.addSql(`drop table if exists "outbox_entry" cascade;`);

    this.addSql(`drop table if exists "conversation_session" cascade;`);

    this.addSql(`drop table if exists "api_token" cascade;`);

    this.addSql(`drop table if exists "webhook_receipt" cascade;`);
  }

}
