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
  @Field(() => DeliveryStatus)
  status!: DeliveryStatus;

  @Field()
  at!: Date;

  @Field(() => DeliveryFailureType, { nullable: true })
  failure?: DeliveryFailureType | null;
}
