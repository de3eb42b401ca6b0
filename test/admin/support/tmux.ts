// Drives a terminal program through a private tmux server: type keys, read the screen, wait
// (bounded) for text to appear. All calls are async so an in-process server keeps serving. The
// server's socket is a file of its own that kill() removes (tmux leaves it behind otherwise).
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const WAIT_BOUND_MS = 10_000;

export class Tmux {
  private readonly socketPath = join(tmpdir(), `yakt-admin-tmux-${process.pid}-${Math.floor(performance.now())}`);

  static available(): boolean {
    return Bun.which("tmux") !== null && Bun.which("telnet") !== null;
  }

  async run(...args: string[]): Promise<string> {
    const proc = Bun.spawn(["tmux", "-S", this.socketPath, ...args], {
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, TERM: "xterm" },
    });
    const [code, out, err] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
    if (code !== 0) throw new Error(`tmux ${args.join(" ")} exited with ${code}: ${err.trim()}`);
    return out;
  }

  /** Starts `command` in a detached 160x50 window that stays visible after the program exits. */
  async start(command: string, session = "main"): Promise<void> {
    await this.run("new-session", "-d", "-s", session, "-x", "160", "-y", "50", command);
    await this.run("set-option", "-t", session, "remain-on-exit", "on");
  }

  /** Types the line literally, then Enter. */
  async type(line: string, session = "main"): Promise<void> {
    await this.run("send-keys", "-t", session, "-l", line);
    await this.run("send-keys", "-t", session, "Enter");
  }

  /** Sends tmux key names, e.g. "C-c". */
  async keys(session: string, ...keys: string[]): Promise<void> {
    await this.run("send-keys", "-t", session, ...keys);
  }

  /** The screen and its scrollback. */
  screen(session = "main"): Promise<string> {
    return this.run("capture-pane", "-p", "-t", session, "-S", "-500");
  }

  /** Polls the screen until it holds `count` copies of `needle`; fails with the screen after a bound. */
  async waitFor(needle: string, count = 1, session = "main"): Promise<string> {
    const deadline = Date.now() + WAIT_BOUND_MS;
    for (;;) {
      const screen = await this.screen(session);
      if (screen.split(needle).length - 1 >= count) return screen;
      if (Date.now() > deadline) throw new Error(`screen did not show ${count}× "${needle}" within ${WAIT_BOUND_MS} ms:\n${screen}`);
      await Bun.sleep(50);
    }
  }

  async kill(): Promise<void> {
    await this.run("kill-server").catch(() => {});
    rmSync(this.socketPath, { force: true });
  }
}
