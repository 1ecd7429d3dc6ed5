import { Field, ObjectType } from 'type-graphql';
import { DeliveryStatus } from './delivery-status';

@ObjectType('DeliveryFailure', { description: 'Why a message could not be delivered.' })
export class DeliveryFailureType {
  // Left a String on purpose: providers add codes (and uncertain-send codes) faster than a schema should change.
  @Field({
    description:
      'Failure code, lowercase (e.g. rejected, window_closed, auth, unsupported, temporary). An open set: providers add codes, so it is a String, not an enum; treat unknown codes as `rejected`.',
  })
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
