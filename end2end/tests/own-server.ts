// A server of a test's own, on its own port and data directory, for the tests that must stop
// it or run it in another mode (the shared one from playwright.config.ts stays untouched).
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class OwnServer {
  readonly base: string;
  private readonly dataDir: string;

  constructor(
    private readonly port: number,
    name: string,
    private readonly env: Record<string, string>,
    /** The server binary: the release build by default. */
    private readonly binary = '../target/release/osp',
  ) {
    this.base = `http://127.0.0.1:${port}`;
    this.dataDir = mkdtempSync(join(tmpdir(), `osp-e2e-${name}-`));
  }

  /** Starts it on the same data directory each time, and waits for /health. */
  async start(): Promise<ChildProcess> {
    const child = spawn(
      this.binary,
      ['--profile', 'test', '--data-dir', this.dataDir, 'serve', '--addr', `127.0.0.1:${this.port}`],
      { stdio: 'ignore', env: { ...process.env, ...this.env } },
    );
    // A debug build starts slower than the release one.
    for (let i = 0; i < 300; i++) {
      try {
        if ((await fetch(`${this.base}/health`)).ok) return child;
      } catch {
        /* not up yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGKILL');
    throw new Error(`the test server on port ${this.port} did not start`);
  }
}

/** Stops it gracefully and waits until it has exited. */
export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}
