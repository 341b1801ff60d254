import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { createFileTransport } from '../../src/mail/transport.ts';

const root = path.resolve(import.meta.dirname, '../..');
const folders: string[] = [];
after(() => Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true }))));

function printLatest(dataDir: string, ...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/mail/print-latest.ts', ...args], {
    cwd: root,
    env: { PATH: process.env.PATH, DATA_DIR: dataDir },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('npm run mail:latest', () => {
  it('prints the newest email decoded', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'guichet-mail-'));
    folders.push(dataDir);
    const transport = createFileTransport(path.join(dataDir, 'mail'));
    await transport.send({
      from: 'helpdesk@example.org',
      to: 'hélène@example.org',
      subject: 'Problème d’accès réseau',
      text: `Lien : http://localhost:3000/password/reset?token=${'a'.repeat(60)}`,
    });

    const result = printLatest(dataDir);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /Subject: Problème d’accès réseau/);
    assert.match(result.stdout, new RegExp(`token=${'a'.repeat(60)}\\n`), 'the link is whole');
  });

  it('explains an empty mail folder', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'guichet-mail-'));
    folders.push(dataDir);
    await mkdir(path.join(dataDir, 'mail'));
    const result = printLatest(dataDir);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /No email in .* yet/);
  });

  it('rejects an invalid count', async () => {
    const result = printLatest(tmpdir(), 'many');
    assert.equal(result.status, 1);
    assert.match(result.stderr, /Invalid count "many"/);
  });
});
