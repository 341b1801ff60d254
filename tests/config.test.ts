import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.ts';

const root = path.resolve(import.meta.dirname, '..');

describe('loadConfig', () => {
  it('applies the defaults', () => {
    const config = loadConfig({});
    assert.equal(config.PORT, 3000);
    assert.equal(config.MAIL_TRANSPORT, 'file');
    assert.equal(config.BASE_URL, 'http://localhost:3000');
    assert.equal(config.mailDomain, 'example.com');
    assert.equal(config.dataDir, path.resolve('var'));
    assert.equal(config.DATABASE_URL, undefined);
  });

  it('treats empty values as unset', () => {
    assert.equal(loadConfig({ PORT: '', DATABASE_URL: '' }).PORT, 3000);
  });

  it('names every invalid variable', () => {
    assert.throws(
      () =>
        loadConfig({
          PORT: 'abc',
          ADMIN_EMAIL: 'nobody',
          DATABASE_URL: 'mysql://x',
          LOG_LEVEL: 'loud',
        }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        const names = error.problems.map((problem) => problem.split(':')[0]).sort();
        assert.deepEqual(names, ['ADMIN_EMAIL', 'DATABASE_URL', 'LOG_LEVEL', 'PORT']);
        return true;
      },
    );
  });

  it('requires SMTP_HOST for the SMTP transport', () => {
    assert.throws(() => loadConfig({ MAIL_TRANSPORT: 'smtp' }), /SMTP_HOST/);
  });

  it('rejects a short session secret', () => {
    assert.throws(() => loadConfig({ SESSION_SECRET: 'short' }), /SESSION_SECRET/);
  });
});

describe('server start-up', () => {
  it('exits listing each bad variable', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH, PORT: '99999', MAIL_TRANSPORT: 'pigeon' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /PORT/);
    assert.match(result.stderr, /MAIL_TRANSPORT/);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  });
});
