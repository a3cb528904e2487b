#!/usr/bin/env node
// The `backplane` command. This file is checked in, unlike dist/, so that `npm install` links it on a
// fresh clone, before the TypeScript has been built (npm skips a bin whose file does not exist yet).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('backplane: the CLI is not built yet; run `npm run build` (or `npm start`) first');
  process.exit(1);
}
await import(entry.href);
