import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, DEFAULT_DELIVERY, DEFAULT_LIMITS, DEFAULT_UPLOAD_LIMITS, loadConfig } from '../../src/config';

/** The ConfigError loadConfig throws for `env` (fails the test if it does not throw one). */
function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail(`loadConfig accepted ${JSON.stringify(env)}`);
}

/** Asserts `env` is refused with exactly one issue, for `name`, whose line matches `expected`. */
function refused(env: NodeJS.ProcessEnv, name: string, expected: RegExp) {
  const err = configError(env);
  assert.deepEqual(
    err.issues.map((i) => i.name),
    [name],
  );
  const line = err.message.split('\n').find((l) => l.trim().startsWith(`${name} `));
  assert.ok(line, `no line for ${name} in:\n${err.message}`);
  assert.match(line, expected);
  return line;
}

describe('configuration defaults', () => {
  test('an empty environment gives the documented defaults', () => {
    const c = loadConfig({});
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.port, 4000);
    assert.deepEqual(c.limits, DEFAULT_LIMITS);
    assert.deepEqual(c.uploadLimits, DEFAULT_UPLOAD_LIMITS);
    assert.deepEqual(
      { ...c.delivery, publicUrl: undefined, sandboxSecret: undefined },
      { ...DEFAULT_DELIVERY, publicUrl: undefined, sandboxSecret: undefined },
    );
    assert.equal(c.delivery.publicUrl, null);
    assert.equal(c.seedDemo, true);
    assert.equal(c.introspection, true);
    assert.deepEqual(c.observability, { nodeEnv: 'development', logLevel: 'info', corsOrigins: null, metricsToken: null, tracing: null });
    assert.deepEqual(c.secrets, { key: null, previousKeys: [] });
    assert.equal(c.eventRetentionHours, 168);
    assert.equal(c.windowSchedulerHorizonMs, 3_600_000);
    // Random per process unless set: two loads differ, so signed URLs die with the process.
    assert.notEqual(c.mediaSigningSecret, loadConfig({}).mediaSigningSecret);
  });

  test('defaults that follow NODE_ENV', () => {
    const prod = loadConfig({ NODE_ENV: 'production' });
    assert.equal(prod.introspection, false);
    assert.equal(prod.observability.logLevel, 'info');
    assert.equal(loadConfig({ NODE_ENV: 'test' }).observability.logLevel, 'warn');
    assert.equal(loadConfig({ NODE_ENV: 'production', INTROSPECTION: 'on' }).introspection, true);
  });

  test('blank means unset; values are trimmed; booleans and names are case-insensitive', () => {
    const c = loadConfig({ PORT: ' ', HOST: '', SEED_DEMO: 'OFF', LOG_SQL: 'Yes', NODE_ENV: ' Production ', MAX_QUERY_DEPTH: ' 7 ' });
    assert.equal(c.port, 4000);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.seedDemo, false);
    assert.equal(c.logSql, true);
    assert.equal(c.observability.nodeEnv, 'production');
    assert.equal(c.limits.maxDepth, 7);
  });

  test('overrides win over the environment', () => {
    assert.equal(loadConfig({ PORT: '8080' }, { port: 0 }).port, 0);
  });

  test('tracing: an endpoint turns it on, OTEL_SDK_DISABLED off; traces-specific settings win', () => {
    const t = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=abc%20def,x-team=a',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-team=b',
    }).observability.tracing;
    assert.deepEqual(t, {
      exporter: 'otlp',
      url: 'http://collector:4318/v1/traces',
      protocol: 'http/json',
      headers: { 'x-api-key': 'abc def', 'x-team': 'b' },
      serviceName: 'switchboard',
    });
    assert.equal(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' }).observability.tracing, null);
    assert.equal(loadConfig({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).observability.tracing, null);
    assert.equal(
      loadConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).observability.tracing,
      null,
      'a protocol alone does not turn it on',
    );
  });
});

describe('bad values are refused with the variable, the value and what is expected', () => {
  test('non-integers', () => {
    for (const raw of ['abc', '4000.5', '10ms', '1e3', '0x10', '99999999999999999999']) {
      refused({ PORT: raw }, 'PORT', new RegExp(`^ {2}PORT must be a non-negative integer \\(got "${raw.replace('.', '\\.')}"\\)$`));
    }
  });

  test('negative numbers, and numbers under a minimum (they were silently raised before)', () => {
    refused({ EVENT_RETENTION_HOURS: '-1' }, 'EVENT_RETENTION_HOURS', /must be a non-negative integer \(got "-1"\)/);
    refused({ DELIVERY_MAX_ATTEMPTS: '0' }, 'DELIVERY_MAX_ATTEMPTS', /must be an integer ≥ 1 \(got "0"\)/);
    refused({ WINDOW_SCHEDULER_HORIZON_MS: '10' }, 'WINDOW_SCHEDULER_HORIZON_MS', /must be an integer ≥ 1000 \(got "10"\)/);
  });

  test('booleans', () => {
    refused({ SEED_DEMO: 'maybe' }, 'SEED_DEMO', /must be true or false .*\(got "maybe"\)/);
    refused({ OTEL_SDK_DISABLED: '2' }, 'OTEL_SDK_DISABLED', /must be true or false/);
  });

  test('URLs', () => {
    refused({ PUBLIC_URL: 'switchboard.example.com' }, 'PUBLIC_URL', /must be an http\(s\) URL .*\(got "switchboard\.example\.com"\)/);
    refused({ PUBLIC_URL: 'ftp://example.com' }, 'PUBLIC_URL', /must be an http\(s\) URL/);
    refused({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, 'OTEL_EXPORTER_OTLP_ENDPOINT', /must be an http\(s\) URL/);
  });

  test('an unknown DATABASE_URL scheme is refused, not taken for a file name', () => {
    refused({ DATABASE_URL: 'mysql://root@db/switchboard' }, 'DATABASE_URL', /must be file:<path>.*"mysql:" is not supported/);
  });

  test('CORS origins with a path, or "*"', () => {
    refused(
      { CORS_ORIGINS: 'https://app.example.com/inbox' },
      'CORS_ORIGINS',
      /must be origins .*no path.*"https:\/\/app\.example\.com\/inbox"/,
    );
    refused({ CORS_ORIGINS: 'https://ok.example.com,*' }, 'CORS_ORIGINS', /"\*" is not allowed/);
  });

  test('names outside the allowed set', () => {
    refused({ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', /must be one of fatal, error, warn, info, debug, trace, silent \(got "loud"\)/);
    refused({ NODE_ENV: 'staging' }, 'NODE_ENV', /must be one of production, development, test/);
    refused({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_PROTOCOL', /must be one of http\/protobuf, http\/json/);
  });

  test('every bad variable is reported at once, in table order, with how to get help', () => {
    const err = configError({ PORT: 'x', SEED_DEMO: 'maybe', DATABASE_URL: 'http://db', LOG_LEVEL: 'loud', HOST: '0.0.0.0' });
    assert.deepEqual(
      err.issues.map((i) => i.name),
      ['PORT', 'DATABASE_URL', 'SEED_DEMO', 'LOG_LEVEL'],
    );
    const lines = err.message.split('\n');
    assert.equal(lines[0], 'Invalid configuration: 4 environment variables are not valid.');
    assert.equal(lines.length, 6);
    assert.match(lines[5], /npm start -- --help/);
  });
});

describe('secrets in errors', () => {
  test('a bad secret is never echoed, a URL loses its password', () => {
    const headers = 'authorization=Bearer%20hunter2,broken-hunter2';
    const err = configError({
      SECRETS_KEY: 'hunter2hunter2',
      SECRETS_KEY_PREVIOUS: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=,hunter2',
      OTEL_EXPORTER_OTLP_HEADERS: headers,
      DATABASE_URL: 'mysql://root:hunter2@db:3306/switchboard',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'ftp://user:hunter2@collector/v1/traces',
    });
    assert.deepEqual(err.issues.map((i) => i.name).sort(), [
      'DATABASE_URL',
      'OTEL_EXPORTER_OTLP_HEADERS',
      'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
      'SECRETS_KEY',
      'SECRETS_KEY_PREVIOUS',
    ]);
    assert.ok(!err.message.includes('hunter2'), err.message);
    assert.match(err.message, /DATABASE_URL .* \(got "mysql:\/\/root:\*\*\*@db:3306\/switchboard"\)/);
    assert.ok(
      err.message.includes(
        `OTEL_EXPORTER_OTLP_HEADERS must be key=value pairs separated by commas (values URL-encoded) (got a hidden value of ${headers.length} characters)`,
      ),
    );
    assert.match(err.message, /SECRETS_KEY must be 32 bytes encoded in base64/);
  });
});
