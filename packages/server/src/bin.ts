#!/usr/bin/env node
import { main } from './cli/main.js';

process.exitCode = await main(process.argv.slice(2));
// Open handles (a stubborn socket) must not keep a finished command alive.
setTimeout(() => process.exit(), 200).unref();
