import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Viewer } from '../../src/modules/auth/viewer';
import { SenderType } from '../../src/modules/message/sender-type';
import type { User } from '../../src/modules/user/user.entity';
import { WindowActorKind } from '../../src/modules/window/window.types';

const viewerOf = (bot: boolean) => new Viewer({ id: 'usr_1', tenantId: 'tn_1', bot } as User, new Set(), null, 'tok_1');

test('windowActor: bots are held to the bot window, people to the user window', () => {
  assert.equal(viewerOf(false).windowActor, WindowActorKind.USER);
  assert.equal(viewerOf(true).windowActor, WindowActorKind.BOT);
  // The same split as message attribution.
  assert.equal(viewerOf(true).senderType, SenderType.BOT);
});
