// Starts the real backend (`leadgen serve --sandbox`) on a free port with a fresh SQLite database and the built SPA,
// waits for /health/ready, and stops it afterwards.
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export const REPO = path.resolve(__dirname, "..", "..");

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitReady(base: string, child: ChildProcess, logFile: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`leadgen exited with ${child.exitCode} before it was ready:\n${readFileSync(logFile, "utf8").slice(-4000)}`);
    }
    try {
      const res = await fetch(`${base}/health/ready`);
      if (res.status === 200) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`leadgen was not ready within ${timeoutMs} ms:\n${readFileSync(logFile, "utf8").slice(-4000)}`);
}

export default async function globalSetup() {
  const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  if (!existsSync(chromium)) {
    throw new Error(`no browser at ${chromium}: install Debian's Chromium (apt-get install -y chromium) or set CHROMIUM_PATH`);
  }
  const bin = process.env.LEADGEN_BIN ? path.resolve(process.env.LEADGEN_BIN) : path.join(REPO, "target", "debug", "leadgen");
  if (!existsSync(bin)) throw new Error(`backend binary not found at ${bin} (build it with cargo build, or set LEADGEN_BIN)`);
  const webDir = path.join(REPO, "web", "dist");
  if (!existsSync(path.join(webDir, "index.html"))) {
    console.log("web/dist is missing: building the SPA");
    execFileSync("npm", ["run", "build"], { cwd: path.join(REPO, "web"), stdio: "inherit" });
  }
  const dir = mkdtempSync(path.join(tmpdir(), "leadgen-e2e-"));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const logFile = path.join(dir, "server.log");
  const out = openSync(logFile, "a");
  // The server rejects unknown LEADGEN_* settings, so pass on none but its own.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("LEADGEN_")));
  // Demo mode: the provider sandbox runs inside the server and every provider points at it, so specs exercise
  // provider settings and Gmail consent without a real request leaving the machine.
  const child = spawn(bin, ["serve", "--sandbox"], {
    cwd: REPO,
    env: {
      ...inherited,
      LEADGEN_BIND: `127.0.0.1:${port}`,
      DATABASE_URL: `sqlite://${path.join(dir, "leadgen.db")}`,
      LEADGEN_DATA_DIR: dir,
      LEADGEN_WEB_DIR: webDir,
      LEADGEN_BCRYPT_COST: "4",
      // Imports commit every 5,000 rows (instead of 100,000): a test-sized file then shows its progress moving and
      // can be cancelled part-way (21-jobs). Same code path, smaller commits; no sleeps.
      LEADGEN_IMPORT_CHUNK_ROWS: "500",
      LEADGEN_LOG: process.env.LEADGEN_LOG ?? "warn",
    },
    stdio: ["ignore", out, out],
  });
  try {
    await waitReady(base, child, logFile, 120_000);
  } catch (e) {
    child.kill("SIGTERM");
    throw e;
  }
  process.env.E2E_BASE_URL = base;
  process.env.E2E_DATA_DIR = dir;
  process.env.E2E_STATE = path.join(dir, "state.json");
  writeFileSync(process.env.E2E_STATE, "{}");
  console.log(`leadgen serve at ${base} (data in ${dir})`);

  return async () => {
    child.kill("SIGTERM");
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        child.kill("SIGKILL");
        resolve();
      }, 5000);
      child.once("exit", () => {
        clearTimeout(t);
        resolve();
      });
    });
    if (process.env.E2E_KEEP) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  };
}
