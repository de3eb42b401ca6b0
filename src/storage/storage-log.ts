// How the storage layer reports the rare events an operator must see (a failed checkpoint worker,
// a forced checkpoint): one JSON line per event. The node passes its own logger through
// StorageOptions.log; alone (tools, tests) the store writes the line to stderr.
export type StorageLogLevel = "info" | "warn" | "error";
export type StorageLog = (level: StorageLogLevel, event: string, fields: Record<string, unknown>) => void;

export const stderrStorageLog: StorageLog = (level, event, fields) => {
  process.stderr.write(`${JSON.stringify({ ts: new Date().toISOString(), level, event, ...fields })}\n`);
};
