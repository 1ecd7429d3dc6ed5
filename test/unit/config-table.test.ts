import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config';
import { configMarkdownRows, VARIABLES } from '../../src/config.table';
import { README_END, README_START, readmeRows } from '../../scripts/config-docs';

const at = (config: Config, dotted: string): unknown =>
  dotted.split('.').reduce<unknown>((node, key) => {
    assert.ok(node !== null && typeof node === 'object' && key in node, `Config has no ${dotted}`);
    return (node as Record<string, unknown>)[key];
  }, config);

// Tracing stays off unless asked, so its variables are tried with it on.
const baseFor = (name: string): NodeJS.ProcessEnv => (name.startsWith('OTEL_') ? { OTEL_TRACES_EXPORTER: 'otlp' } : {});

test('each variable lands where the table says: setting its example changes that Config field', () => {
  for (const [name, spec] of Object.entries(VARIABLES)) {
    const before = at(loadConfig(baseFor(name)), spec.lands);
    const after = at(loadConfig({ ...baseFor(name), [name]: spec.example }), spec.lands);
    assert.notDeepEqual(after, before, `${name}=${spec.example} did not change ${spec.lands}`);
  }
});

test('every Config field (but the fixed page size) is set by some variable', () => {
  const lands = Object.values(VARIABLES).map((v) => v.lands);
  const leaves = (node: unknown, prefix: string): string[] =>
    node !== null && typeof node === 'object' && !Array.isArray(node) && Object.keys(node).length > 0
      ? Object.entries(node).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k))
      : [prefix];
  const config = loadConfig({ OTEL_TRACES_EXPORTER: 'otlp' });
  const unset = leaves(config, '').filter(
    (leaf) => leaf !== 'limits.maxPageSize' && !lands.some((l) => leaf === l || leaf.startsWith(`${l}.`)),
  );
  assert.deepEqual(unset, []);
});

test('the README configuration table is the one generated from the table (npm run config:docs)', () => {
  const readme = fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
  assert.ok(readme.includes(README_START) && readme.includes(README_END), 'README.md has the config table markers');
  assert.deepEqual(readmeRows(readme), configMarkdownRows());
});
