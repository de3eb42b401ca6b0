// The real `telnet` client on one node's operator console, typed through tmux: send a command,
// read back exactly what it printed before the next prompt, and tell when telnet has exited.
import { rmSync } from "node:fs";
import { waitUntil } from "../../node/support/wait-until.ts";
import { Tmux } from "../../admin/support/tmux.ts";

const WAIT_BOUND_MS = 10_000;
/** tmux's default history-limit: commands are counted by their prompts, so all must stay on record. */
const HISTORY_LINES = 2_000;
/** capture-pane drops trailing blanks, so a prompt ends in ">" on the screen. */
const PROMPT = /^yakt\[(\d+) (\w+)\]>/gm;

export interface Prompt {
  nodeId: number;
  role: string;
}

export class TelnetConsole {
  private readonly tmux = new Tmux();

  constructor(private readonly session = "console") {}

  static available(): boolean {
    return Tmux.available();
  }

  /** Starts telnet on the console at `port` and waits for its first prompt. */
  async open(port: number): Promise<Prompt> {
    await this.tmux.start(`telnet 127.0.0.1 ${port}`, this.session);
    const screen = await this.waitForPrompts(1);
    return lastPrompt(screen);
  }

  /** Types one line; resolves with the lines it printed and the prompt that followed them. */
  async command(line: string): Promise<{ output: string[]; prompt: Prompt }> {
    const before = prompts(await this.screen()).length;
    const screen = await this.waitForPrompts(before + 1, () => this.tmux.type(line, this.session));
    return { output: outputAfterLastCommand(screen), prompt: lastPrompt(screen) };
  }

  /** Types `line` and waits until `text` shows on the screen; returns the screen. */
  async typeUntil(line: string, text: string): Promise<string> {
    await this.tmux.type(line, this.session);
    return this.tmux.waitFor(text, 1, this.session);
  }

  /** True once the telnet process in the pane has exited (the pane stays, remain-on-exit). */
  async exited(): Promise<boolean> {
    const dead = await this.tmux.run("list-panes", "-t", this.session, "-F", "#{pane_dead}");
    return dead.trim() === "1";
  }

  /** The whole history of the pane; fails once it reaches the history limit and lines drop out. */
  async screen(): Promise<string> {
    const text = await this.tmux.run("capture-pane", "-p", "-t", this.session, "-S", "-");
    const lines = text.split("\n").length;
    if (lines >= HISTORY_LINES) throw new Error(`the telnet screen reached ${lines} lines, tmux's history limit`);
    return text;
  }

  /**
   * Kills the private tmux server and with it telnet, then removes its socket file, which tmux
   * leaves behind; safe to call when nothing was started.
   */
  async close(): Promise<void> {
    const socket = await this.tmux.run("display-message", "-p", "#{socket_path}").catch(() => "");
    await this.tmux.kill();
    if (socket.trim() !== "") rmSync(socket.trim(), { force: true });
  }

  private async waitForPrompts(count: number, first?: () => Promise<void>): Promise<string> {
    await first?.();
    let last = "";
    return waitUntil(
      `${count} console prompts on the telnet screen`,
      async () => {
        last = await this.screen();
        return prompts(last).length >= count ? last : null;
      },
      WAIT_BOUND_MS,
      50,
    ).catch((e) => {
      throw new Error(`${(e as Error).message}; screen:\n${last}`);
    });
  }
}

function prompts(screen: string): RegExpMatchArray[] {
  return [...screen.matchAll(PROMPT)];
}

function lastPrompt(screen: string): Prompt {
  const all = prompts(screen);
  const last = all[all.length - 1];
  if (!last) throw new Error(`no console prompt on the screen:\n${screen}`);
  return { nodeId: Number(last[1]), role: last[2] };
}

/** The lines between the last two prompts, without the echoed command on the first prompt line. */
function outputAfterLastCommand(screen: string): string[] {
  const lines = screen.split("\n");
  const promptLines = lines.flatMap((l, i) => (/^yakt\[\d+ \w+\]>/.test(l) ? [i] : []));
  if (promptLines.length < 2) throw new Error(`fewer than two prompts on the screen:\n${screen}`);
  const [from, to] = promptLines.slice(-2);
  return lines.slice(from + 1, to).map((l) => l.trimEnd());
}

/** "key   value" pairs of a console table such as `status` prints. */
export function pairs(output: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of output) {
    const m = /^(\S(?:.*?\S)?)\s{2,}(\S.*)$/.exec(line);
    if (m) map.set(m[1], m[2]);
  }
  return map;
}
