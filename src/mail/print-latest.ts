// Prints the newest emails written by the file transport (DATA_DIR/mail), decoded, so that a
// person without a mail client can read them. Usage: npm run mail:latest [-- COUNT]
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { ConfigError, loadConfig } from '../config.ts';

async function main(): Promise<number> {
  const count = Number(process.argv[2] ?? 1);
  if (!Number.isInteger(count) || count < 1) {
    console.error(`Invalid count "${process.argv[2]}": give a whole number, such as 3.`);
    return 1;
  }
  const directory = path.join(loadConfig().dataDir, 'mail');
  let files: string[];
  try {
    files = (await readdir(directory)).filter((name) => name.endsWith('.eml')).sort();
  } catch {
    files = [];
  }
  if (files.length === 0) {
    console.error(`No email in ${directory} yet. Start Guichet once with npm start.`);
    return 1;
  }
  for (const name of files.slice(-count)) {
    const message = await simpleParser(await readFile(path.join(directory, name)));
    const to = [message.to]
      .flat()
      .map((address) => address?.text)
      .join(', ');
    console.log(`File:    ${path.join(directory, name)}`);
    console.log(`To:      ${to}`);
    console.log(`Subject: ${message.subject ?? ''}`);
    console.log(`Date:    ${message.date?.toISOString() ?? ''}\n`);
    console.log(`${(message.text ?? '').trim()}\n`);
  }
  return 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : String(error));
  process.exitCode = 1;
}
