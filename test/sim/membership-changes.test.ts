import { expect, test } from "bun:test";
import { possibleChanges } from "./membership-changes.ts";

const m = (voters: number[], learners: number[] = []) => ({ voters, learners, addresses: {} });
const describe = (cs: ReturnType<typeof possibleChanges>) => cs.map((c) => `${c.type}:${c.id}`).sort();

test("joins and leaves within the voter bounds", () => {
  const all = () => true;
  expect(describe(possibleChanges(m([1, 2, 3], [4]), [1, 2, 3, 4, 5], all, { minVoters: 3, maxVoters: 4 }))).toEqual(
    ["addLearner:5", "addVoter:4", "addVoter:5", "removeNode:4"].sort(),
  );
  expect(describe(possibleChanges(m([1, 2, 3, 4]), [1, 2, 3, 4], all, { minVoters: 3, maxVoters: 4 }))).toEqual(
    ["removeNode:1", "removeNode:2", "removeNode:3", "removeNode:4"],
  );
});

test("never leaves the up voters without a majority", () => {
  const up = (id: number) => id !== 3 && id !== 5;
  // Voters 1..3 with 3 down: adding the down node 5 (two of four down) or removing an up voter
  // (one of two down) loses the majority; removing the down voter 3 or adding a learner does not.
  expect(describe(possibleChanges(m([1, 2, 3]), [1, 2, 3, 4, 5], up, { minVoters: 2, maxVoters: 5 }))).toEqual(
    ["addLearner:4", "addLearner:5", "addVoter:4", "removeNode:3"].sort(),
  );
  // Voters 1..3 with 2 and 3 down: no change keeps a majority up, except adding nobody.
  expect(describe(possibleChanges(m([1, 2, 3]), [1, 2, 3], (id) => id === 1, { minVoters: 2, maxVoters: 5 }))).toEqual([]);
});
