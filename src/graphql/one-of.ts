import { isInputObjectType, type GraphQLSchema } from 'graphql';
import { Extensions } from 'type-graphql';

/** The extension key that marks an input class as `@oneOf`. */
const ONE_OF_EXTENSION = 'oneOf';

/**
 * Marks an `@InputType` class as a OneOf input object: exactly one field must be given, and not
 * null. type-graphql 2.0 rc cannot declare `@oneOf` itself, so the class carries this marker and
 * {@link applyOneOf} turns it into graphql-js's `isOneOf` where the schema is built: the marker
 * sits on the class it describes, so no list of type names can drift from the code.
 */
export function OneOf(): ClassDecorator {
  return Extensions({ [ONE_OF_EXTENSION]: true }) as ClassDecorator;
}

/**
 * Sets `isOneOf` on every input object whose class carries {@link OneOf}, so validation refuses
 * a literal or variable with zero or several fields and the printed SDL shows `@oneOf`. Must run
 * on a freshly built schema, before it is validated or served. Returns the marked type names.
 */
export function applyOneOf(schema: GraphQLSchema): string[] {
  const marked: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (isInputObjectType(type) && type.extensions[ONE_OF_EXTENSION] === true) {
      type.isOneOf = true;
      marked.push(type.name);
    }
  }
  return marked;
}
