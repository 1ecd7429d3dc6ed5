import { Field, ObjectType } from 'type-graphql';
import { DeliveryStatus } from './delivery-status';

@ObjectType('DeliveryFailure', { description: 'Why a message could not be delivered.' })
export class DeliveryFailureType {
  @Field({ description: 'Stable failure code (e.g. rejected, window_closed, auth, unsupported, temporary).' })
  code!: string;

  @Field({ description: "Human-readable reason, usually the provider's." })
  reason!: string;
}

@ObjectType('StatusChange', { description: 'One step of a message delivery history.' })
export class StatusChangeType {
  @Field(() => DeliveryStatus, { description: 'The status the message reached at this step.' })
  status!: DeliveryStatus;

  @Field({ description: "When it reached it: the provider's timestamp where it gives one, never earlier than the step before." })
  at!: Date;

  @Field(() => DeliveryFailureType, { nullable: true, description: 'Why, when `status` is FAILED; null otherwise.' })
  failure?: DeliveryFailureType | null;
}
