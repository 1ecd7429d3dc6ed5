import { GraphQLUpload, type FileUpload } from 'graphql-upload-ts';
import { Arg, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import { RequireScopes } from '../../graphql/authorization';
import { auth, type AppContext } from '../../graphql/context';
import { Scope } from '../auth/scopes';
import { mediaUrlFor } from './media-url';
import { Media } from './media.entity';
import { uploadMedia } from './media.service';

@Resolver(() => Media)
export class MediaResolver {
  @RequireScopes(Scope.MESSAGE_CREATE)
  @Mutation(() => Media, {
    description:
      'Uploads one file (GraphQL multipart request; send `Apollo-Require-Preflight: true`). The type is sniffed from the bytes; ' +
      'unknown types are UNSUPPORTED_CONTENT, files over the per-kind limit PAYLOAD_TOO_LARGE. The same idempotencyKey with the ' +
      'same bytes returns the same Media; with other bytes it is IDEMPOTENCY_CONFLICT.',
  })
  uploadMedia(
    @Ctx() ctx: AppContext,
    @Arg('file', () => GraphQLUpload, { description: 'The file: a multipart part named in the request `map`.' }) file: Promise<FileUpload>,
    @Arg('idempotencyKey', () => String, {
      nullable: true,
      description: 'Retry-safe uploads: the same key with the same bytes returns the same Media (kept at least 24 h).',
    })
    idempotencyKey?: string | null,
  ): Promise<Media> {
    const { viewer } = auth(ctx);
    const { config, mediaStorage } = ctx.deps;
    return uploadMedia(ctx.em, { storage: mediaStorage, limits: config.uploadLimits }, viewer, { file, idempotencyKey });
  }

  @FieldResolver(() => String, {
    description: 'A signed, expiring URL (path relative to the API origin) that serves the bytes without a token.',
  })
  url(@Root() media: Media, @Ctx() ctx: AppContext): string {
    const { mediaSigningSecret, mediaUrlTtlSeconds } = ctx.deps.config;
    return mediaUrlFor(mediaSigningSecret, mediaUrlTtlSeconds, media.id);
  }
}
