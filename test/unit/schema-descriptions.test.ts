import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isIntrospectionType,
  isObjectType,
  isSpecifiedDirective,
  isSpecifiedScalarType,
  isUnionType,
  type GraphQLSchema,
} from 'graphql';
import { REQUIRED_SCOPES_EXTENSION } from '../../src/graphql/authorization';
import { buildAppSchema } from '../../src/graphql/schema';

/**
 * The lint rule for the schema's documentation: every type, field, argument, input field, enum value
 * and custom directive a client can see has a description, so the playground's docs and generated
 * clients explain the whole API. Introspection types and the built-in scalars and directives are
 * described by the spec and left out.
 */

/** Schema coordinates (`Type`, `Type.field`, `Type.field(arg:)`, `Enum.VALUE`, `@directive(arg:)`) with no description. */
function undescribedCoordinates(schema: GraphQLSchema): string[] {
  const missing: string[] = [];
  const check = (coordinate: string, description: string | null | undefined): void => {
    if (!description?.trim()) missing.push(coordinate);
  };
  for (const type of Object.values(schema.getTypeMap())) {
    if (isIntrospectionType(type) || isSpecifiedScalarType(type)) continue;
    check(type.name, type.description);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        check(`${type.name}.${field.name}`, field.description);
        for (const arg of field.args) check(`${type.name}.${field.name}(${arg.name}:)`, arg.description);
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) check(`${type.name}.${field.name}`, field.description);
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) check(`${type.name}.${value.name}`, value.description);
    } else if (isUnionType(type)) {
      // A union has no members of its own to describe; its description says what the members share.
    }
  }
  for (const directive of schema.getDirectives()) {
    if (isSpecifiedDirective(directive)) continue;
    check(`@${directive.name}`, directive.description);
    for (const arg of directive.args) check(`@${directive.name}(${arg.name}:)`, arg.description);
  }
  return missing.sort();
}

test('every type, field, argument, input field and enum value of the schema has a description', async () => {
  const missing = undescribedCoordinates(await buildAppSchema());
  assert.deepEqual(
    missing,
    [],
    `${missing.length} schema coordinates have no description (add \`description:\` to the decorator, or valuesConfig for enum values):\n  ${missing.join('\n  ')}`,
  );
});

test('every field guarded by @RequireScopes names the scopes it needs in its description', async () => {
  const schema = await buildAppSchema();
  const unnamed: string[] = [];
  let guarded = 0;
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) && !isInterfaceType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      const scopes = (field.extensions[REQUIRED_SCOPES_EXTENSION] ?? []) as string[];
      if (scopes.length) guarded++;
      for (const scope of scopes) if (!field.description?.includes(scope)) unnamed.push(`${type.name}.${field.name}: ${scope}`);
    }
  }
  assert.ok(guarded >= 15, `expected the query, mutation and subscription roots to be guarded, found ${guarded} fields`);
  assert.deepEqual(unnamed, []);
});
