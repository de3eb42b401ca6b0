// The factory of the real consensus core from src/raft.
import { Raft } from "../../src/raft/index.ts";
import type { CoreFactory } from "./core.ts";

export const realCore: CoreFactory = (config, restore) => new Raft(config, restore);
