import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { AppContext } from '../../graphql/context';
import { ContentKind, MediaKind } from '../message/content-kind';
import { Inbox } from './inbox.entity';
import { InboxCapabilitiesType, TextLengthUnitKind, type MediaLimitType } from './inbox-capabilities.types';

/** Which capability a content kind needs (null: every inbox carries it). */
const CONTENT_NEEDS: Readonly<Record<ContentKind, 'templates' | 'richContent' | null>> = {
  [ContentKind.TEXT]: null,
  [ContentKind.MEDIA]: null,
  [ContentKind.TEMPLATE]: 'templates',
  [ContentKind.RICH]: 'richContent',
  [ContentKind.NOTE]: null,
};

const UNIT: Readonly<Record<'code-points' | 'utf8-bytes', TextLengthUnitKind>> = {
  'code-points': TextLengthUnitKind.CODE_POINTS,
  'utf8-bytes': TextLengthUnitKind.UTF8_BYTES,
};

/** `Inbox.capabilities`: the adapter's view of the channel, computed in memory (no query). */
@Resolver(() => Inbox)
export class InboxCapabilitiesResolver {
  @FieldResolver(() => InboxCapabilitiesType, {
    description: 'What this inbox can send, so a composer can adapt (reactions, read receipts, limits…).',
  })
  capabilities(@Root() inbox: Inbox, @Ctx() ctx: AppContext): InboxCapabilitiesType {
    const caps = ctx.deps.channels.capabilities(inbox);
    const media: MediaLimitType[] = (Object.values(MediaKind) as MediaKind[]).flatMap((kind) => {
      const limit = caps.media[kind];
      return limit ? [{ kind, maxBytes: limit.maxBytes, mimeTypes: [...limit.mimeTypes] }] : [];
    });
    return {
      reactions: caps.reactions,
      deliveryReceipts: caps.deliveryReceipts,
      readReceipts: caps.deliveryReceipts && caps.readReceipts,
      richContent: caps.richContent,
      templates: caps.templates,
      maxTextLength: caps.maxTextLength,
      textLengthUnit: UNIT[caps.textLengthUnit],
      contentKinds: (Object.values(ContentKind) as ContentKind[]).filter((k) => CONTENT_NEEDS[k] === null || caps[CONTENT_NEEDS[k]!]),
      media,
    };
  }
}
