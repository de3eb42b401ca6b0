// A TCP proxy for one directed peer link (node A dials node B through it), so real-process tests
// can cut links without root: "up" forwards both ways, "down" closes every connection and refuses
// new ones (a clean cut), "deaf" keeps the connections open but drops what A sends (B cannot hear
// A; replies still flow), "mute" drops what B sends back, "stall" stops reading what A sends, so
// A's socket backs up as over a link that lost its packets, and delivers it all when the link is
// up again. Peer connections carry messages one way
// (DESIGN: each node dials each peer), so one proxy per ordered pair cuts exactly one direction.
import type { Socket, TCPSocketListener } from "bun";

export type LinkMode = "up" | "down" | "deaf" | "mute" | "stall";

/** Bytes buffered towards one side before the pair is closed: a test proxy must not grow without bound. */
const MAX_PENDING_BYTES = 64 * 1024 * 1024;

interface Side {
  socket: Socket<Pair> | null;
  pending: Uint8Array[];
  pendingBytes: number;
}

/** One accepted client connection and its upstream connection to the target. */
class Pair {
  readonly client: Side = { socket: null, pending: [], pendingBytes: 0 };
  readonly server: Side = { socket: null, pending: [], pendingBytes: 0 };
  /** What A sent while the link stalled (at most one socket read: the socket is paused after it). */
  private readonly held: Uint8Array[] = [];
  closed = false;

  constructor(private readonly proxy: TcpProxy) {}

  /** Bytes from the client (A) towards the target (B). */
  fromClient(data: Uint8Array): void {
    if (this.proxy.mode === "deaf") return;
    if (this.proxy.mode === "stall") {
      // Keep what already arrived, read no more: A's writes back up in the kernel and in A.
      this.held.push(new Uint8Array(data));
      this.client.socket?.pause();
      return;
    }
    this.send(this.server, data);
  }

  /** Leaving "stall": deliver what was held, in order, and read from A again. */
  unstall(): void {
    for (const chunk of this.held.splice(0)) this.send(this.server, chunk);
    this.client.socket?.resume();
  }

  /** Bytes from the target (B) back to the client (A). */
  fromServer(data: Uint8Array): void {
    if (this.proxy.mode === "mute") return;
    this.send(this.client, data);
  }

  flush(side: Side): void {
    while (side.socket && side.pending.length > 0) {
      const chunk = side.pending[0];
      const n = side.socket.write(chunk);
      side.pendingBytes -= n;
      if (n < chunk.length) {
        side.pending[0] = chunk.subarray(n);
        return;
      }
      side.pending.shift();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.socket?.end();
    this.server.socket?.end();
    this.proxy.forget(this);
  }

  private send(side: Side, data: Uint8Array): void {
    if (this.closed) return;
    side.pending.push(new Uint8Array(data));
    side.pendingBytes += data.length;
    if (side.pendingBytes > MAX_PENDING_BYTES) return this.close();
    this.flush(side);
  }
}

export class TcpProxy {
  mode: LinkMode = "up";
  private readonly pairs = new Set<Pair>();
  private listener: TCPSocketListener<Pair> | null = null;
  /** Connections accepted so far (for tests that check a link was used). */
  accepted = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** Listen on `port` (0 for any free one) and return the port listened on. */
  start(port = 0): number {
    this.listener = Bun.listen<Pair>({
      hostname: "127.0.0.1",
      port,
      socket: {
        open: (socket) => this.accept(socket),
        data: (socket, data) => socket.data?.fromClient(data),
        drain: (socket) => socket.data && socket.data.flush(socket.data.client),
        close: (socket) => socket.data?.close(),
        error: (socket) => socket.data?.close(),
      },
    });
    return this.listener.port;
  }

  get port(): number {
    if (!this.listener) throw new Error("proxy not started");
    return this.listener.port;
  }

  /** Change the link's mode; "down" also closes every open connection at once. */
  setMode(mode: LinkMode): void {
    const wasStalled = this.mode === "stall";
    this.mode = mode;
    if (mode === "down") for (const p of [...this.pairs]) p.close();
    if (wasStalled && mode !== "stall") for (const p of [...this.pairs]) p.unstall();
  }

  stop(): void {
    for (const p of [...this.pairs]) p.close();
    this.listener?.stop(true);
    this.listener = null;
  }

  forget(pair: Pair): void {
    this.pairs.delete(pair);
  }

  private accept(client: Socket<Pair>): void {
    if (this.mode === "down") {
      client.end();
      return;
    }
    this.accepted++;
    const pair = new Pair(this);
    client.data = pair;
    pair.client.socket = client;
    this.pairs.add(pair);
    Bun.connect<Pair>({
      hostname: this.targetHost,
      port: this.targetPort,
      data: pair,
      socket: {
        open: (server) => {
          pair.server.socket = server;
          pair.flush(pair.server);
        },
        data: (server, data) => server.data.fromServer(data),
        drain: (server) => server.data.flush(server.data.server),
        close: (server) => server.data.close(),
        error: (server) => server.data.close(),
        connectError: (server) => server.data.close(),
      },
    }).catch(() => pair.close());
  }
}
