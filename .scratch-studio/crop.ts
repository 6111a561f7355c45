// usage: tsx crop.ts in.png out.png x y w h
import { readFileSync } from 'node:fs';
import { launchBrowser } from '../test/helpers/browser.js';
const [inp, out, x, y, w, h] = process.argv.slice(2);
const b = await launchBrowser();
const p = await b.newPage({ viewport: { width: Number(w), height: Number(h) } });
const data = readFileSync(inp!).toString('base64');
await p.setContent(`<html><body style="margin:0"><img src="data:image/png;base64,${data}" style="position:absolute;left:-${x}px;top:-${y}px"></body></html>`);
await p.screenshot({ path: out!, clip: { x: 0, y: 0, width: Number(w), height: Number(h) } });
await b.close();
