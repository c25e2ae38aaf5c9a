// Sums the gzipped size of the JS and CSS that dist/index.html loads up front
// (entry script, modulepreloads and stylesheets), i.e. the initial route.
import { readFileSync, existsSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const dist = join(dirname(fileURLToPath(import.meta.url)), "..", "dist");
const html = readFileSync(join(dist, "index.html"), "utf8");
const refs = new Set();
for (const m of html.matchAll(/<(?:script|link)\b[^>]*?(?:src|href)="([^"]+)"[^>]*>/g)) {
  const url = m[1];
  if (/\.(js|css)$/.test(url) && url.startsWith("/")) refs.add(url);
}
let total = 0;
const rows = [];
for (const url of refs) {
  const file = join(dist, url);
  if (!existsSync(file)) continue;
  const gz = gzipSync(readFileSync(file), { level: 9 }).length;
  total += gz;
  rows.push([url, gz]);
}
for (const [url, gz] of rows) console.log(`  ${(gz / 1024).toFixed(1).padStart(7)} KB gz  ${url}`);
console.log(`initial route JS+CSS: ${(total / 1024).toFixed(1)} KB gzipped (budget 500 KB)`);
if (total > 500 * 1024) {
  console.error("initial bundle exceeds the 500 KB gzipped budget");
  process.exit(1);
}
