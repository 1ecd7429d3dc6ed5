/**
 * `npm run schema` writes schema.graphql from the type-graphql code; `npm run schema:check` fails
 * when the checked-in file differs from what the code emits (CI runs it).
 */
import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { buildAppSchema, printSortedSchema } from '../src/graphql/schema';

async function main(): Promise<void> {
  const file = path.resolve(__dirname, '..', 'schema.graphql');
  const sdl = printSortedSchema(await buildAppSchema());
  if (process.argv.includes('--check')) {
    const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    if (current !== sdl) {
      console.error('schema.graphql is out of date with the code: run `npm run schema` and commit the result.');
      process.exit(1);
    }
    console.log('schema.graphql matches the code.');
    return;
  }
  fs.writeFileSync(file, sdl);
  console.log(`Wrote ${path.relative(process.cwd(), file)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
