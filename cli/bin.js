#!/usr/bin/env node
// The published entry point: register tsx so the TypeScript sources run as they are, then start.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
