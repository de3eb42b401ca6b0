// Counters of the runtime's loop, read by /metrics and the console. Plain numbers, no allocation on
// the hot path: a field increment per event, a snapshot object only when asked.

export class RuntimeMetrics {
  readyCycles = 0;
  persistBatches = 0;
  persistedEntries = 0;
  persistMicrosTotal = 0;
  persistMicrosMax = 0;
  /** Flushes (fsyncs) started: each covers every batch written before it, so a few Readys share one. */
  flushes = 0;
  messagesSent = 0;
  messagesReceived = 0;
  appliedEntries = 0;
  proposals = 0;
  proposalsFailed = 0;
  readBarriers = 0;
  readIndexRounds = 0;
  readsFailed = 0;
  forwardsSent = 0;
  forwardsServed = 0;
  forwardsFailed = 0;
  /** Forwards abandoned at a leader that lost leadership and sent again to the next one. */
  forwardsRerouted = 0;
  snapshotsTaken = 0;
  snapshotsInstalled = 0;
  /** Installs whose bytes were staged in the store ahead of their write (raft-runtime takeReady). */
  installsStaged = 0;
  ticks = 0;

  /** A Ready's batch is durable `micros` after its write (the wait for its flush, queueing included). */
  recordPersist(entries: number, micros: number): void {
    this.persistBatches++;
    this.persistedEntries += entries;
    this.persistMicrosTotal += micros;
    if (micros > this.persistMicrosMax) this.persistMicrosMax = micros;
  }

  toRecord(): Record<string, number> {
    return {
      yakt_raft_ready_cycles_total: this.readyCycles,
      yakt_raft_persist_batches_total: this.persistBatches,
      yakt_raft_persisted_entries_total: this.persistedEntries,
      yakt_raft_persist_micros_total: this.persistMicrosTotal,
      yakt_raft_persist_micros_max: this.persistMicrosMax,
      yakt_raft_flushes_total: this.flushes,
      yakt_raft_messages_sent_total: this.messagesSent,
      yakt_raft_messages_received_total: this.messagesReceived,
      yakt_raft_applied_entries_total: this.appliedEntries,
      yakt_raft_proposals_total: this.proposals,
      yakt_raft_proposals_failed_total: this.proposalsFailed,
      yakt_raft_read_barriers_total: this.readBarriers,
      yakt_raft_read_index_rounds_total: this.readIndexRounds,
      yakt_raft_reads_failed_total: this.readsFailed,
      yakt_raft_forwards_sent_total: this.forwardsSent,
      yakt_raft_forwards_served_total: this.forwardsServed,
      yakt_raft_forwards_failed_total: this.forwardsFailed,
      yakt_raft_forwards_rerouted_total: this.forwardsRerouted,
      yakt_raft_snapshots_taken_total: this.snapshotsTaken,
      yakt_raft_snapshots_installed_total: this.snapshotsInstalled,
      yakt_raft_snapshot_installs_staged_total: this.installsStaged,
      yakt_raft_ticks_total: this.ticks,
    };
  }
}
