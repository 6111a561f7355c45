// Preloaded into a measured process (`node --import`): at exit it writes the process's own CPU time
// and peak RSS to the file named by ESP_BENCH_USAGE, so the bench measures the process as a user
// runs it, start-up included.
import { writeFileSync } from 'node:fs';

const file = process.env['ESP_BENCH_USAGE'];
if (file) process.on('exit', () => writeFileSync(file, JSON.stringify(process.resourceUsage())));
