// Builds the real-page set on this machine: `node bin/run-ts.js bench/real-pages/build.ts` installs
// the Debian -doc packages ./manifest.json names that are missing (apt-get, as root; needs the
// Debian mirror), renders the layouts that are site themes (./render.ts) and lists each layout's
// pages with their sizes. The pages stay where the packages or the renderer put them; ./pages.ts
// reads them at bench time.

import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { layouts, missingPackages, pagePaths } from './pages.ts';
import { renderSite } from './render.ts';

const missing = missingPackages();
if (missing.length > 0) {
  console.log(`installing ${missing.join(' ')}`);
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}
for (const layout of layouts()) if (layout.render) renderSite(layout.render, layout.root);
let total = 0;
for (const layout of layouts()) {
  const paths = pagePaths(layout);
  const kb = paths.reduce((n, p) => n + statSync(p).size, 0) / 1024;
  total += paths.length;
  console.log(
    `${layout.name}: ${paths.length} pages, ${kb.toFixed(0)} KB (${layout.package}, ${layout.generator})`,
  );
}
console.log(`${total} pages`);
