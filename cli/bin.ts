#!/usr/bin/env node
// The `esp` entry point (package.json `bin` runs its compiled form, dist/cli/bin.js).
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
