// The broker fleet's HTTP client (scripts/bench/keepalive-client.ts) and its propagation log
// (scripts/bench/broker-fleet.ts AckLog): answers cut out of the bytes whichever way they arrive,
// one connection kept across requests, failures reported, and arrivals that overtake their
// writer's acknowledgement counted at 0 ms rather than lost.
import { afterAll, describe, expect, test } from "bun:test";
import { AckLog } from "../../scripts/bench/broker-fleet.ts";
import { KeepAliveConnection, declaredEnd, parseResponse } from "../../scripts/bench/keepalive-client.ts";

const bytes = (text: string) => Buffer.from(text, "utf8");

describe("parseResponse", () => {
  const whole = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"offset\":7}\n";

  test("a sized answer, with its headers lower-cased", () => {
    const parsed = parseResponse(bytes(whole));
    expect(parsed?.used).toBe(whole.length);
    expect(parsed?.response.status).toBe(200);
    expect(parsed?.response.headers.get("content-type")).toBe("application/json");
    expect(parsed?.response.body).toBe('{"offset":7}\n');
  });

  test("incomplete at every cut point but the end", () => {
    for (let cut = 0; cut < whole.length; cut++) expect(parseResponse(bytes(whole.slice(0, cut)))).toBeNull();
  });

  test("a chunked answer, UTF-8 across chunks", () => {
    const body = Buffer.from('{"name":"é"}');
    const text = Buffer.concat([
      bytes("HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\nRetry-After: 1\r\n\r\n"),
      bytes("a\r\n"),
      body.subarray(0, 10),
      bytes("\r\n3;ext=1\r\n"),
      body.subarray(10),
      bytes("\r\n0\r\n\r\n"),
    ]);
    const parsed = parseResponse(text);
    expect(parsed?.used).toBe(text.length);
    expect(parsed?.response.status).toBe(503);
    expect(parsed?.response.headers.get("retry-after")).toBe("1");
    expect(parsed?.response.body).toBe('{"name":"é"}');
    expect(parseResponse(text.subarray(0, text.length - 2))).toBeNull();
  });

  test("header names match whatever their case; a look-alike name or a value naming one does not", () => {
    const head = "HTTP/1.1 200 OK\r\nX-Content-Length: 99\r\nX-Note: content-length: 5\r\nCONTENT-LENGTH:  4 \r\nConnection: Close\r\n\r\n";
    const parsed = parseResponse(bytes(`${head}abcd`));
    expect(parsed?.used).toBe(head.length + 4);
    expect(parsed?.response.body).toBe("abcd");
    expect(parsed?.response.closes).toBe(true);
    expect(parsed?.response.headers.get("x-content-length")).toBe("99");
    expect(parsed?.response.headers.get("x-note")).toBe("content-length: 5");
    expect(parseResponse(bytes(whole))?.response.closes).toBe(false);
  });

  test("a body reader gets a 200 answer's body where it lies, sized or chunked, and the body is not decoded; other statuses are decoded as before", () => {
    const seen: string[] = [];
    const reader = (b: Buffer, start: number, end: number) => {
      seen.push(b.toString("utf8", start, end));
      return end - start;
    };
    const sized = parseResponse(bytes(`${whole}HTTP/1.1`), reader);
    expect(sized?.used).toBe(whole.length);
    expect(sized?.response.read).toBe(13);
    expect(sized?.response.body).toBe("");
    const chunkedText = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
    expect(parseResponse(bytes(chunkedText), reader)?.response.read).toBe(5);
    const refused = parseResponse(bytes("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 2\r\n\r\nno"), reader);
    expect(refused?.response.read).toBeUndefined();
    expect(refused?.response.body).toBe("no");
    // An incomplete answer is not handed to the reader: once, when whole.
    expect(parseResponse(bytes(whole.slice(0, -1)), reader)).toBeNull();
    expect(seen).toEqual(['{"offset":7}\n', "abcde"]);
  });

  test("declaredEnd: the answer's whole size once its head is in, none for a chunked body", () => {
    expect(declaredEnd(bytes(whole.slice(0, 20)))).toBeNull();
    expect(declaredEnd(bytes(whole.slice(0, whole.indexOf("\r\n\r\n") + 4)))).toBe(whole.length);
    expect(declaredEnd(bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n"))).toBeNull();
  });

  test("malformed heads and lengths are refused with what was wrong", () => {
    expect(() => parseResponse(bytes("SMTP ready\r\n\r\n"))).toThrow("status line");
    expect(() => parseResponse(bytes("HTTP/1.1 200 OK\r\nno colon\r\n\r\n"))).toThrow("header line");
    expect(() => parseResponse(bytes("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nno colon\r\nX: 1\r\n\r\n"))).toThrow("header line");
    expect(() => parseResponse(bytes("HTTP/1.1 200 OK\r\n: no name\r\n\r\n"))).toThrow("header line");
    expect(() => parseResponse(bytes("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"))).toThrow("no usable length");
    expect(() => parseResponse(bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"))).toThrow("chunk size");
    expect(() => parseResponse(Buffer.alloc(17 * 1024, "a"))).toThrow("no end of the head");
  });
});

describe("KeepAliveConnection", () => {
  let connections = 0;
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      const body = await request.text();
      if (body === "hang") return new Promise<Response>(() => {});
      return new Response(`echo:${body}`, { headers: body === "close" ? { connection: "close" } : {} });
    },
  });
  const listener = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open() {
        connections++;
      },
      data(socket) {
        socket.end(); // answers nothing
      },
    },
  });
  afterAll(() => {
    server.stop(true);
    listener.stop(true);
  });
  const head = (length: number) => `POST / HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: ${length}\r\n\r\n`;

  test("answers requests one after another on one connection", async () => {
    const conn = new KeepAliveConnection("127.0.0.1", server.port as number);
    for (const body of ["a", "bb", "é".repeat(40_000)]) {
      const res = await conn.request(head(Buffer.byteLength(body)), body);
      expect(res.status).toBe(200);
      expect(res.body).toBe(`echo:${body}`);
    }
    expect(server.pendingRequests).toBe(0);
    conn.abort("done");
  });

  test("an answer that comes in many chunks is read whole, and the connection serves the next", async () => {
    // Written by hand a few bytes at a time: the head, then the body in pieces.
    const body = `{"text":"${"é".repeat(3000)}"}`;
    const size = Buffer.byteLength(body);
    const answer = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n${body}`);
    const slow = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        async data(socket) {
          for (let at = 0; at < answer.length; at += 1000) {
            socket.write(answer.subarray(at, at + 1000));
            await Bun.sleep(1);
          }
        },
      },
    });
    try {
      const conn = new KeepAliveConnection("127.0.0.1", slow.port);
      for (let i = 0; i < 2; i++) expect((await conn.request(head(1), "x")).body).toBe(body);
      conn.abort("done");
    } finally {
      slow.stop(true);
    }
  });

  test("a second request while one is pending is refused", async () => {
    const conn = new KeepAliveConnection("127.0.0.1", server.port as number);
    const first = conn.request(head(4), "hang");
    await expect(conn.request(head(1), "x")).rejects.toThrow("already pending");
    conn.abort("cut by the test");
    await expect(first).rejects.toThrow("cut by the test");
    // The connection dials again for the next request.
    expect((await conn.request(head(1), "y")).body).toBe("echo:y");
    conn.abort("done");
  });

  test("a connection closed by the server fails the pending request, and the next one dials again", async () => {
    const conn = new KeepAliveConnection("127.0.0.1", listener.port);
    await expect(conn.request(head(1), "x")).rejects.toThrow("the connection closed");
    await expect(conn.request(head(1), "x")).rejects.toThrow("the connection closed");
    expect(connections).toBe(2);
  });

  test("an answer with Connection: close is delivered, and the next request dials again", async () => {
    const conn = new KeepAliveConnection("127.0.0.1", server.port as number);
    expect((await conn.request(head(5), "close")).body).toBe("echo:close");
    expect((await conn.request(head(1), "z")).body).toBe("echo:z");
    conn.abort("done");
  });
});

describe("AckLog", () => {
  test("arrivals after the acknowledgement count their delay, by node", () => {
    const acks = new AckLog();
    acks.note(5, 100);
    acks.arrived(5, 1, 103);
    acks.arrived(5, 2, 110);
    expect(acks.propagationMs).toEqual([3, 10]);
    expect(acks.byNode.get(1)).toEqual([3]);
    expect(acks.byNode.get(2)).toEqual([10]);
    expect(acks.earlyCount).toBe(0);
  });

  test("arrivals before the acknowledgement count as 0 ms once it is noted, never before", () => {
    const acks = new AckLog();
    acks.arrived(9, 1, 50);
    acks.arrived(9, 1, 51);
    acks.arrived(9, 3, 52);
    acks.arrived(11, 3, 52); // no writer ever acknowledges offset 11: never counted
    expect(acks.propagationMs).toEqual([]);
    acks.note(9, 60);
    expect(acks.propagationMs).toEqual([0, 0, 0]);
    expect(acks.byNode.get(1)).toEqual([0, 0]);
    expect(acks.byNode.get(3)).toEqual([0]);
    expect(acks.earlyCount).toBe(3);
    acks.arrived(9, 2, 65);
    expect(acks.byNode.get(2)).toEqual([5]);
  });
});
