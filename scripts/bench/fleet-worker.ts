// A worker thread of the broker fleet (broker-fleet.ts, FLEET_THREADS=n): runs the poll or watch
// loops of its share of the brokers (broker-polls.ts, broker-watches.ts) and reports what they saw to the main thread every
// REPORT_MS, so the fleet's answers are read by several threads rather than queueing behind one,
// as a real fleet's brokers each read their own (at about twice the CPU per poll of the main
// thread's loops on this machine, so the fleet runs on the main thread by default).
//   in:  { type: "start", mode, heartbeatMs, targets } then { type: "stop" }
//   out: { type: "report", report } …, then { type: "stopped", report } (or { type: "error", message })
import { type FleetLoops, type FleetMode, REPORT_MS, fleetLoops } from "./broker-fleet.ts";
import type { PollReport, PollTarget } from "./broker-polls.ts";

declare const self: Worker;

export type ToWorker = { type: "start"; mode: FleetMode; heartbeatMs: number; targets: PollTarget[] } | { type: "stop" };
export type FromWorker = { type: "report" | "stopped"; report: PollReport } | { type: "error"; message: string };

let polls: FleetLoops | null = null;
let reporter: ReturnType<typeof setInterval> | undefined;

const send = (message: FromWorker) => {
  // The arrivals' buffer moves to the main thread instead of being copied.
  if ("report" in message) self.postMessage(message, [message.report.arrivals.buffer as ArrayBuffer]);
  else self.postMessage(message);
};

self.onmessage = async (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  try {
    if (message.type === "start") {
      if (polls !== null) throw new Error("the fleet worker was started twice");
      polls = fleetLoops(message.mode, message.heartbeatMs);
      polls.start(message.targets);
      reporter = setInterval(() => send({ type: "report", report: (polls as FleetLoops).take() }), REPORT_MS);
    } else {
      clearInterval(reporter);
      await polls?.stop();
      send({ type: "stopped", report: polls?.take() ?? { polls: 0, failed: 0, failures: [], arrivals: new Float64Array(0) } });
    }
  } catch (error) {
    send({ type: "error", message: error instanceof Error ? error.message : String(error) });
  }
};
