// Regenerates the API types into a temp file and fails when src/api/schema.d.ts is stale.
import { execFileSync } from "node:child_process";
import { readFileSync, mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const spec = join(root, "..", "openapi.yaml");
const current = join(root, "src", "api", "schema.d.ts");
const dir = mkdtempSync(join(tmpdir(), "leadgen-api-"));
const fresh = join(dir, "schema.d.ts");
try {
  const bin = join(root, "node_modules", ".bin", "openapi-typescript");
  execFileSync(bin, [spec, "-o", fresh], { stdio: ["ignore", "ignore", "inherit"] });
  if (!existsSync(current)) {
    console.error("src/api/schema.d.ts is missing: run `npm run gen:api`");
    process.exit(1);
  }
  if (readFileSync(fresh, "utf8") !== readFileSync(current, "utf8")) {
    console.error("src/api/schema.d.ts is out of date with ../openapi.yaml: run `npm run gen:api`");
    process.exit(1);
  }
  console.log("schema.d.ts is up to date");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
