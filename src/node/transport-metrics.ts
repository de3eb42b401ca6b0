// The peer transport's counters as metrics (summed over peers), so an operator sees what the
// transport drops and whom its listener turns away.
import type { TransportStats } from "../transport/transport-types.ts";

export function transportMetrics(stats: TransportStats | null): Record<string, number> {
  let drops = 0;
  let droppedBytes = 0;
  let queuedBytes = 0;
  for (const p of stats?.peers ?? []) {
    drops += p.drops;
    droppedBytes += p.droppedBytes;
    queuedBytes += p.queuedBytes;
  }
  return {
    yakt_transport_dropped_messages_total: drops,
    yakt_transport_dropped_bytes_total: droppedBytes,
    yakt_transport_queued_bytes: queuedBytes,
    yakt_transport_refused_connections_total: stats?.refusedConnections ?? 0,
    yakt_transport_evicted_connections_total: stats?.evictedConnections ?? 0,
    yakt_transport_turned_away_connections_total: stats?.turnedAwayConnections ?? 0,
    yakt_transport_bad_frames_total: stats?.badFrames ?? 0,
    yakt_transport_learned_peers: stats?.learnedPeers ?? 0,
  };
}
