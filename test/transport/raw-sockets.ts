// Hand-driven sockets for the failure tests: a raw client that writes whatever bytes a test wants,
// and a fake peer that answers the handshake and then misbehaves on purpose.
import type { Socket, TCPSocketListener } from "bun";
import { encodeFrame, FrameKind } from "../../src/transport/frame.ts";
import type { Frame } from "../../src/transport/frame.ts";
import { FrameDecoder } from "../../src/transport/frame-decoder.ts";
import { encodeHello, HANDSHAKE_VERSION } from "../../src/transport/handshake-codec.ts";
import type { Hello } from "../../src/transport/handshake-codec.ts";
import { CLUSTER } from "./helpers.ts";

const MAX_FRAME = 16 * 1024 * 1024;

export interface RawClient {
  socket: Socket<undefined>;
  received: Frame[];
  closed: () => boolean;
}

/** Connect to `port`; frames the server sends are decoded into `received`. */
export async function rawConnect(port: number): Promise<RawClient> {
  const decoder = new FrameDecoder(MAX_FRAME);
  const received: Frame[] = [];
  let closed = false;
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      binaryType: "uint8array",
      data: (_s, chunk) => {
        received.push(...decoder.push(chunk));
      },
      close: () => {
        closed = true;
      },
    },
  });
  return { socket, received, closed: () => closed };
}

/** A Hello as a dialer sends it (no MAC); `features` 1 offers the shared secret; `address` is where it says it listens. */
export function hello(nodeId: number, clusterId = CLUSTER, version = HANDSHAKE_VERSION, features = 0, address = ""): Hello {
  return { version, features, clusterId, nodeId, address, nonce: new Uint8Array(32).fill(nodeId & 0xff), mac: new Uint8Array(0), founders: [] };
}

export function handshakeFrame(nodeId: number, clusterId = CLUSTER, version = HANDSHAKE_VERSION, features = 0, address = ""): Uint8Array {
  return encodeFrame(FrameKind.Handshake, [encodeHello(hello(nodeId, clusterId, version, features, address))], MAX_FRAME);
}

export type FakeBehaviour =
  /** Never answer the handshake. */
  | "silent"
  /** Acknowledge the handshake, then stop reading (the sender's writes back up). */
  | "ack-then-pause"
  /** Acknowledge as a different node id than the dialer expects. */
  | "ack-as-other";

/** A listener that plays a peer with `id`, behaving as told. */
export class FakePeer {
  readonly handshakes: Frame[] = [];
  private readonly sockets = new Set<Socket<undefined>>();

  private constructor(private readonly listener: TCPSocketListener<undefined>) {}

  get port(): number {
    return this.listener.port;
  }

  get openSockets(): number {
    return this.sockets.size;
  }

  static start(id: number, behaviour: FakeBehaviour): FakePeer {
    let peer: FakePeer | null = null;
    const decoders = new WeakMap<Socket<undefined>, FrameDecoder>();
    const listener = Bun.listen<undefined>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        binaryType: "uint8array",
        open: (s) => {
          peer!.sockets.add(s);
          decoders.set(s, new FrameDecoder(MAX_FRAME));
        },
        data: (s, chunk) => {
          for (const frame of decoders.get(s)!.push(chunk)) {
            if (frame.kind !== FrameKind.Handshake) continue;
            peer!.handshakes.push(frame);
            if (behaviour === "silent") continue;
            const as = behaviour === "ack-as-other" ? id + 100 : id;
            const ack = encodeHello(hello(as));
            s.write(encodeFrame(FrameKind.HandshakeAck, [ack], MAX_FRAME));
            if (behaviour === "ack-then-pause") s.pause();
          }
        },
        close: (s) => {
          peer!.sockets.delete(s);
        },
      },
    });
    peer = new FakePeer(listener);
    return peer;
  }

  stop(): void {
    for (const s of this.sockets) s.terminate();
    this.listener.stop(true);
  }
}
