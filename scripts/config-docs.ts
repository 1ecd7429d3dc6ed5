/**
 * `npm run config:docs` writes the README's configuration table from src/config.table.ts;
 * `--check` fails when they differ (test/unit/config-table.test.ts checks the same under `npm test`).
 */
import fs from 'node:fs';
import path from 'node:path';
import * as prettier from 'prettier';
import { configMarkdownRows } from '../src/config.table';

export const README_START = '<!-- config-table:start (generated from src/config.table.ts by `npm run config:docs`) -->';
export const README_END = '<!-- config-table:end -->';
const HEADER = ['Variable', 'Default', 'Meaning'];

/** The cells of the generated table's body rows in `readme`, trimmed (prettier's padding does not count). */
export function readmeRows(readme: string): string[][] {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) return [];
  return readme
    .slice(start + README_START.length, end)
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .slice(2)
    .map((line) =>
      line
        .slice(1, line.lastIndexOf('|'))
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim()),
    );
}

async function main(): Promise<void> {
  const file = path.resolve(__dirname, '..', 'README.md');
  const readme = fs.readFileSync(file, 'utf8');
  const rows = configMarkdownRows();
  if (process.argv.includes('--check')) {
    if (JSON.stringify(readmeRows(readme)) !== JSON.stringify(rows)) {
      console.error("README.md's configuration table is out of date with src/config.table.ts: run `npm run config:docs`.");
      process.exit(1);
    }
    console.log("README.md's configuration table matches src/config.table.ts.");
    return;
  }
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${README_START} … ${README_END} block`);
  const table = [HEADER, HEADER.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
  const options = (await prettier.resolveConfig(file)) ?? {};
  const formatted = (await prettier.format(table, { ...options, parser: 'markdown' })).trimEnd();
  fs.writeFileSync(file, `${readme.slice(0, start + README_START.length)}\n\n${formatted}\n\n${readme.slice(end)}`);
  console.log(`Wrote the configuration table in ${path.relative(process.cwd(), file)}`);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
