// A minimal operator-console client for the cluster tests: connect, send one command line, and
// collect the output until an expected fragment appears (bounded), then quit.

export async function consoleCommand(port: number, line: string, expect: RegExp, timeoutMs = 10_000): Promise<string> {
  let text = "";
  const decoder = new TextDecoder();
  let settle: (value: string) => void = () => {};
  let fail: (e: Error) => void = () => {};
  const done = new Promise<string>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_s, chunk) {
        text += decoder.decode(chunk);
        if (expect.test(text)) settle(text);
      },
      close() {
        fail(new Error(`console closed before ${expect} appeared; got: ${JSON.stringify(text.slice(-500))}`));
      },
      error(_s, e) {
        fail(e);
      },
    },
  });
  const timer = setTimeout(() => fail(new Error(`no ${expect} within ${timeoutMs} ms; got: ${JSON.stringify(text.slice(-500))}`)), timeoutMs);
  try {
    socket.write(`${line}\r\n`);
    return await done;
  } finally {
    clearTimeout(timer);
    socket.write("quit\r\n");
    socket.end();
  }
}
