import { startStudio } from '../test/helpers/browser.js';
const s = await startStudio({ demoAccounts: 0 });
try {
  for (const path of ['/accounts/x?/decide', '/portfolio?/review', '/signout']) {
    const r = await fetch(`${s.url}${path}`, { method: 'POST', redirect: 'manual', headers: { origin: s.url, 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=approve' });
    console.log(path, r.status, r.headers.get('location'), (await r.text()).slice(0, 200));
  }
} finally { await s.stop(); }
