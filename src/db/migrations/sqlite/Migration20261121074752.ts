import { Migration } from '@mikro-orm/migrations';

export class Migration20261121074752 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`pending_status\` (\`id\` integer not null primary key autoincrement, \`inbox_id\` text not null, \`channel_message_id\` text not null, \`status\` text check (\`status\` in ('pending', 'sent', 'delivered', 'read', 'failed')) not null, \`failure_code\` text null, \`failure_reason\` text null, \`provider_event_id\` text not null, \`occurred_at\` datetime not null, \`received_at\` datetime not null);`);
    this.addSql(`create index \`pending_status_inbox_id_channel_message_id_index\` on \`pending_status\` (\`inbox_id\`, \`channel_message_id\`);`);

    this.addSql(`create table \`tenant\` (\`id\` text not null, \`name\` text not null, \`event_seq\` bigint not null default 0, \`created_at\` datetime not null, primary key (\`id\`));`);

    this.addSql(`create table \`inbox\` (\`id\` text not null, \`tenant_id\` text not null, \`name\` text not null, \`channel\` text check (\`channel\` in ('whatsapp', 'sms', 'instagram', 'messenger', 'webchat', 'email', 'telegram')) not null, \`provider\` text not null default 'sandbox', \`sender_address\` text not null, \`window_hours\` integer null, \`human_agent_window_hours\` integer null, \`provider_config\` json not null, \`created_at\` datetime not null, constraint \`inbox_tenant_id_foreign\` foreign key(\`tenant_id\`) references \`tenant\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`);
    this.addSql(`create index \`inbox_tenant_id_index\` on \`inbox\` (\`tenant_id\`);`);
    this.addSql(`create index \`inbox_tenant_id_name_index\` on \`inbox\` (\`tenant_id\`, \`name\`);`);

    this.addSql(`create table \`idempotency_record\` (\`id\` integer not null primary key autoincrement, \`tenant_id\` text not null, \`operation\` text not null, \`key\` text not null, \`request_hash\` text not null, \`result_id\` text not null, \`created_at\` datetime not null, \`expires_at\` datetime not null, constraint \`idempotency_record_tenant_id_foreign\` foreign key(\`tenant_id\`) references \`tenant\`(\`id\`) on delete cascade on update cascade);`);
    this.addSql(`create index \`idempotency_record_tenant_id_index\` on \`idempotency_record\` (\`tenant_id\`);`);
    this.addSql(`create index \`idempotency_record_expires_at_index\` on \`idempotency_record\` (\`expires_at\`);`);
    this.addSql(`create unique index \`idempotency_record_tenant_id_operation_key_unique\` on \`idempotency_record\` (\`tenant_id\`, \`operation\`, \`key\`);`);

    this.addSql(`create table \`event\` (\`id\` text not null, \`tenant_id\` text not null, \`seq\` bigint not null, \`type\` text check (\`type\` in ('message.added', 'message.status_changed', 'reaction.changed', 'conversation.created', 'conversation.assigned', 'conversation.read', 'conversation.closed', 'conversation.reopened', 'window.opened', 'window.shut')) not null, \`inbox_id\` text null, \`conversation_id\` text null, \`message_id\` text null, \`actor_type\` text check (\`actor_type\` in ('user', 'customer', 'bot', 'system')) null, \`actor_id\` text null, \`causation_id\` text null, \`payload\` json not null, \`created_at\` datetime not null, constraint \`event_tenant_id_foreign\` foreign key(\`tenant_id\`) references \`tenant\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`);
    this.addSql(`create index \`event_tenant_id_index\` on \`event\` (\`tenant_id\`);`);
    this.addSql(`create index \`event_created_at_index\` on \`event\` (\`created_at\`);`);
    this.addSql(`create index \`event_conversation_id_seq_index\` on \`event\` (\`conversation_id\`, \`seq\`);`);
    this.addSql(`create index \`event_tenant_id_inbox_id_seq_index\` on \`event\` (\`tenant_id\`, \`inbox_id\`, \`seq\`);`);
    this.addSql(`create unique index \`event_tenant_id_seq_unique\` on \`event\` (\`tenant_id\`, \`seq\`);`);

    this.addSql(`create table \`contact\` (\`id\` text not null, \`tenant_id\` text not null, \`name\` text null, \`created_at\` datetime not null, constraint \`contact_tenant_id_foreign\` foreign key(\`tenant_id\`) references \`tenant\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`);
    this.addSql(`create index \`contact_tenant_id_index\` on \`contact\` (\`tenant_id\`);`);
    this.addSql(`create index \`contact_tenant_id_name_index\` on \`contact\` (\`tenant_id\`, \`name\`);`);

    this.addSql(`create table \`contact_identity\` (\`id\` text not null, \`tenant_id\` text not null, \`contact_id\` text not null, \`channel\` text check (\`channel\` in ('whatsapp', 'sms', 'instagram', 'messenger', 'webchat', 'email', 'telegram')) not null, \`address\` text not null, constraint \`contact_identity_tenant_id_foreign\` foreign key(\`tenant_id\`) references \`tenant\`(\`id\`) on delete cascade on update cascade, constraint \`contact_identity_contact_id_foreign\` foreign key(\`contact_id\`) references \`contact\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`);
    this.addSql(`create index \`contact_identity_tenant_id_index\` on \`contact_identity\` (\`tenant_id\`);`);
    this.addSql(`create index \`contact_identity_contact_id_index\` on \`contact_identity\` (\`contact_id\`);`);
    this.addSql(`create unique index \`contact_identity_tenant_id_channel_address_unique\` on \`contact_identity\` (\`tenant_id\`, \`channel\`, \`address\`);`);

    this.addSql(`create table \`app_user\` (\`id\` text not null, \`tenant_id\` text not null, \`name\` text not null, \`email\` text not null, \`role\` text check (\`role\` in ('owner', 'admin', 'agent')) not null default 'agent', \`bot\` integer not null default false, \`active\` integer not null default true, \`created_at\` datetime not null, constraint \`app_user_tenant_id_foreign\` foreign key(\`tenant_id\`) references \`tenant\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`);
    this.addSql(`create index \`app_user_tenant_id_index\` on \`app_user\` (\`tenant_id\`);`);
    this.addSql(`create unique index \`app_user_tenant_id_email_unique\` on \`app_user\` (\`tenant_id\`, \`email\`);`);

    this.addSql(`create table \`media\` (\`id\` text not null, \`tenant_id\` text not null, \`uploaded_by_id\` text null, \`media_kind\` text check (\`media_kind\` in ('image', 'video', 'audio', 'document', 'sticker')) not null, \`mime_type\` text not null, \`filename\` text not null, \`size\` bigint not null, \`sha256\` text not null, \`storage_key\` text not null, \`idempotency_key\` text null, \`created_at\` datetime not null, constraint \`media_tenant_id_foreign\` foreign key(\`tenant_id\`) references \`tenant\`(\`id\`) on delete cascade on update cascade, constraint \`media_uploaded_by_id_foreign\` foreign key(\`uploaded_by_id\`) references \`app_user\`(\`id\`) on delete set null on update cascade, primary key (\`id\`));`);
    this.addSql(`create index \`media_tenant_id_index\` on \`media\` (\`tenant_id\`);`);
    this.addSql(`create index \`media_uploaded_by_id_index\` on \`media\` (\`uploaded_by_id\`);`);
    this.addSql(`create unique index \`media_tenant_id_idempotency_key_unique\` on \`media\` (\`tenant_id\`, \`idempotency_key\`);`);

    this.addSql(`create table \`inbox_member\` (\`id\` integer not null primary key autoincrement, \`tenant_id\` text not null, \`inbox_id\` text not null, \`user_id\` text not null, \`created_at\` datetime not null, constraint \`inbox_member_tenant_id_foreign\` foreign key(\`tenant_id\`) references \`tenant\`(\`id\`) on delete cascade on update cascade, constraint \`inbox_member_inbox_id_foreign\` foreign key(\`inbox_id\`) references \`inbox\`(\`id\`) on delete cascade on update cascade, constraint \`inbox_member_user_id_foreign\` foreign key(\`user_id\`) references \`app_user\`(\`id\`) on delete cascade on update cascade);`);
    this.addSql(`create index \`inbox_member_tenant_id_index\` on \`inbox_member\` (\`tenant_id\`);`);
    this.addSql(`create index \`inbox_member_inbox_id_index\` on \`inbox_member\` (\`inbox_id\`);`);
    this.addSql(`create index \`inbox_member_user_id_index\` on \`inbox_member\` (\`user_id\`);`);
    this.addSql(`create unique index \`inbox_member_user_id_inbox_id_unique\` on \`inbox_member\` (\`user_id\`, \`inbox_id\`);`);

    this.addSql(`create table \`conversation\` (\`id\` text not null, \`tenant_id\` text not null, \`inbox_id\` text not null, \`contact_id\` text not null, \`channel\` text check (\`channel\` in ('whatsapp', 'sms', 'instagram', 'messenger', 'webchat', 'email', 'telegram')) not null, \`external_id\` text not null, \`name\` text null, \`status\` text check (\`status\` in ('open', 'closed')) not null default 'open', \`assignee_id\` text null, \`current_session_id\` text null, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`last_activity_at\` datetime not null, \`last_message_at\` datetime null, \`last_message_id\` text null, \`last_message_preview\` text null, \`last_message_sender\` text check (\`last_message_sender\` in ('user', 'customer', 'bot', 'system')) null, \`last_inbound_at\` datetime null, constraint \`conversation_tenant_id_foreign\` foreign key(\`tenant_id\`) references \`tenant\`(\`id\`) on delete cascade on update cascade, constraint \`conversation_inbox_id_foreign\` foreign key(\`inbox_id\`) references \`inbox\`(\`id\`) on delete cascade on update cascade, constraint \`conversation_contact_id_foreign\` foreign key(\`contact_id\`) references \`contact\`(\`id\`) on delete cascade on update cascade, constraint \`conversation_assignee_id_foreign\` foreign key(\`assignee_id\`) references \`app_user\`(\`id\`) on delete set null on update cascade, primary key (\`id\`));`);
    this.addSql(`create index \`conversation_tenant_id_index\` on \`conversation\` (\`tenant_id\`);`);
    this.addSql(`create index \`conversation_inbox_id_index\` on \`conversation\` (\`inbox_id\`);`);
    this.addSql(`create index \`conversation_contact_id_index\` on \`conversation\` (\`contact_id\`);`);
    this.addSql(`create index \`conversation_assignee_id_index\` on \`conversation\` (\`assignee_id\`);`);
    this.addSql(`create index \`conversation_inbox_id_contact_id_status_index\` on \`conversation\` (\`inbox_id\`, \`contact_id\`, \`status\`);`);
    this.addSql(`create index \`conversation_tenant_id_channel_last_activity_at_id_index\` on \`conversation\` (\`tenant_id\`, \`channel\`, \`last_activity_at\`, \`id\`);`);
    this.addSql(`create index \`conversation_tenant_id_assignee_id_last_activity_at_id_index\` on \`conversation\` (\`tenant_id\`, \`assignee_id\`, \`last_activity_at\`, \`id\`);`);
    this.addSql(`create index \`conversation_tenant_id_status_last_activity_at_id_index\` on \`conversation\` (\`tenant_id\`, \`status\`, \`last_activity_at\`, \`id\`);`);
    this.addSql(`create index \`conversation_tenant_id_inbox_id_last_activity_at_id_index\` on \`conversation\` (\`tenant_id\`, \`inbox_id\`, \`last_activity_at\`, \`id\`);`);
    this.addSql(`create index \`conversation_tenant_id_last_activity_at_id_index\` on \`conversation\` (\`tenant_id\`, \`last_activity_at\`, \`id\`);`);

    this.addSql(`create table \`read_marker\` (\`id\` text not null, \`tenant_id\` text not null, \`conversation_id\` text not null, \`user_id\` text not null, \`last_read_message_id\` text not null, \`updated_at\` datetime not null, constraint \`read_marker_tenant_id_foreign\` foreign key(\`tenant_id\`) references \`tenant\`(\`id\`) on delete cascade on update cascade, constraint \`read_marker_conversation_id_foreign\` foreign key(\`conversation_id\`) references \`conversation\`(\`id\`) on delete cascade on update cascade, constraint \`read_marker_user_id_foreign\` foreign key(\`user_id\`) references \`app_user\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`);
    this.addSql(`create index \`read_marker_tenant_id_index\` on \`read_marker\` (\`tenant_id\`);`);
    this.addSql(`create index \`read_marker_conversation_id_index\` on \`read_marker\` (\`conversation_id\`);`);
    this.addSql(`create index \`read_marker_user_id_index\` on \`read_marker\` (\`user_id\`);`);
    this.addSql(`create unique index \`read_marker_conversation_id_user_id_unique\` on \`read_marker\` (\`conversation_id\`, \`user_id\`);`);

    this.addSql(`create table \`message\` (\`id\` text not null, \`tenant_id\` text not null, \`conversation_id\` text not null, \`inbox_id\` text not null, \`session_id\` text null, \`direction\` text check (\`direction\` in ('inbound', 'outbound', 'internal')) not null, \`sender_type\` text check (\`sender_type\` in ('user', 'customer', 'bot', 'system')) not null, \`sender_user_id\` text null, \`content_kind\` text check (\`content_kind\` in ('text', 'media', 'template', 'rich', 'note')) not null, \`content\` json not null, \`delivery_status\` text check (\`delivery_status\` in ('pending', 'sent', 'delivered', 'read', 'failed')) null, \`failure_code\` text null, \`failure_reason\` text null, \`channel_message_id\` text null, \`client_message_id\` text null, \`reply_to_id\` text null, \`status_history\` json not null, \`last_status_at\` datetime null, \`created_at\` datetime not null, \`updated_at\` datetime not null, constraint \`message_tenant_id_foreign\` foreign key(\`tenant_id\`) references \`tenant\`(\`id\`) on delete cascade on update cascade, constraint \`message_conversation_id_foreign\` foreign key(\`conversation_id\`) references \`conversation\`(\`id\`) on delete cascade on update cascade, constraint \`message_inbox_id_foreign\` foreign key(\`inbox_id\`) references \`inbox\`(\`id\`) on delete cascade on update cascade, constraint \`message_sender_user_id_foreign\` foreign key(\`sender_user_id\`) references \`app_user\`(\`id\`) on delete set null on update cascade, primary key (\`id\`));`);
    this.addSql(`create index \`message_tenant_id_index\` on \`message\` (\`tenant_id\`);`);
    this.addSql(`create index \`message_conversation_id_index\` on \`message\` (\`conversation_id\`);`);
    this.addSql(`create index \`message_inbox_id_index\` on \`message\` (\`inbox_id\`);`);
    this.addSql(`create index \`message_sender_user_id_index\` on \`message\` (\`sender_user_id\`);`);
    this.addSql(`create index \`message_sender_user_id_conversation_id_index\` on \`message\` (\`sender_user_id\`, \`conversation_id\`);`);
    this.addSql(`create index \`message_conversation_id_id_index\` on \`message\` (\`conversation_id\`, \`id\`);`);
    this.addSql(`create unique index \`message_inbox_id_channel_message_id_unique\` on \`message\` (\`inbox_id\`, \`channel_message_id\`);`);

    this.addSql(`create table \`reaction\` (\`id\` text not null, \`tenant_id\` text not null, \`message_id\` text not null, \`conversation_id\` text not null, \`actor_type\` text check (\`actor_type\` in ('user', 'customer', 'bot', 'system')) not null, \`actor_id\` text not null, \`emoji\` text not null, \`created_at\` datetime not null, constraint \`reaction_tenant_id_foreign\` foreign key(\`tenant_id\`) references \`tenant\`(\`id\`) on delete cascade on update cascade, constraint \`reaction_message_id_foreign\` foreign key(\`message_id\`) references \`message\`(\`id\`) on delete cascade on update cascade, constraint \`reaction_conversation_id_foreign\` foreign key(\`conversation_id\`) references \`conversation\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`);
    this.addSql(`create index \`reaction_tenant_id_index\` on \`reaction\` (\`tenant_id\`);`);
    this.addSql(`create index \`reaction_message_id_index\` on \`reaction\` (\`message_id\`);`);
    this.addSql(`create index \`reaction_conversation_id_index\` on \`reaction\` (\`conversation_id\`);`);
    this.addSql(`create unique index \`reaction_message_id_actor_type_actor_id_unique\` on \`reaction\` (\`message_id\`, \`actor_type\`, \`actor_id\`);`);

    this.addSql(`create table \`outbox_entry\` (\`id\` text not null, \`tenant_id\` text not null, \`message_id\` text not null, \`inbox_id\` text not null, \`state\` text check (\`state\` in ('pending', 'done', 'failed')) not null default 'pending', \`attempts\` integer not null default 0, \`next_attempt_at\` datetime not null, \`locked_until\` datetime null, \`last_error\` text null, \`created_at\` datetime not null, \`updated_at\` datetime not null, constraint \`outbox_entry_tenant_id_foreign\` foreign key(\`tenant_id\`) references \`tenant\`(\`id\`) on delete cascade on update cascade, constraint \`outbox_entry_message_id_foreign\` foreign key(\`message_id\`) references \`message\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`);
    this.addSql(`create index \`outbox_entry_tenant_id_index\` on \`outbox_entry\` (\`tenant_id\`);`);
    this.addSql(`create index \`outbox_entry_message_id_index\` on \`outbox_entry\` (\`message_id\`);`);
    this.addSql(`create index \`outbox_entry_state_next_attempt_at_index\` on \`outbox_entry\` (\`state\`, \`next_attempt_at\`);`);
    this.addSql(`create unique index \`outbox_entry_message_id_unique\` on \`outbox_entry\` (\`message_id\`);`);

    this.addSql(`create table \`conversation_session\` (\`id\` text not null, \`tenant_id\` text not null, \`conversation_id\` text not null, \`inbox_id\` text not null, \`opened_at\` datetime not null, \`closed_at\` datetime null, constraint \`conversation_session_tenant_id_foreign\` foreign key(\`tenant_id\`) references \`tenant\`(\`id\`) on delete cascade on update cascade, constraint \`conversation_session_conversation_id_foreign\` foreign key(\`conversation_id\`) references \`conversation\`(\`id\`) on delete cascade on update cascade, constraint \`conversation_session_inbox_id_foreign\` foreign key(\`inbox_id\`) references \`inbox\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`);
    this.addSql(`create index \`conversation_session_tenant_id_index\` on \`conversation_session\` (\`tenant_id\`);`);
    this.addSql(`create index \`conversation_session_conversation_id_index\` on \`conversation_session\` (\`conversation_id\`);`);
    this.addSql(`create index \`conversation_session_inbox_id_index\` on \`conversation_session\` (\`inbox_id\`);`);
    this.addSql(`create index \`conversation_session_conversation_id_opened_at_index\` on \`conversation_session\` (\`conversation_id\`, \`opened_at\`);`);

    this.addSql(`create table \`api_token\` (\`id\` text not null, \`tenant_id\` text not null, \`user_id\` text not null, \`name\` text not null, \`token_hash\` text not null, \`scopes\` json not null, \`expires_at\` datetime null, \`revoked_at\` datetime null, \`created_at\` datetime not null, constraint \`api_token_tenant_id_foreign\` foreign key(\`tenant_id\`) references \`tenant\`(\`id\`) on delete cascade on update cascade, constraint \`api_token_user_id_foreign\` foreign key(\`user_id\`) references \`app_user\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`);
    this.addSql(`create index \`api_token_tenant_id_index\` on \`api_token\` (\`tenant_id\`);`);
    this.addSql(`create index \`api_token_user_id_index\` on \`api_token\` (\`user_id\`);`);
    this.addSql(`create unique index \`api_token_token_hash_unique\` on \`api_token\` (\`token_hash\`);`);

    this.addSql(`create table \`webhook_receipt\` (\`id\` text not null, \`inbox_id\` text not null, \`provider_event_id\` text not null, \`received_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create unique index \`webhook_receipt_inbox_id_provider_event_id_unique\` on \`webhook_receipt\` (\`inbox_id\`, \`provider_event_id\`);`);
  }

}
