// A test helper: `run` must fail with a SimViolation of the given check.
import { expect } from "bun:test";
import { SimViolation, type CheckName } from "./violation.ts";

export function expectViolation(check: CheckName, run: () => void): void {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(SimViolation);
    expect((e as SimViolation).check).toBe(check);
    return;
  }
  throw new Error(`expected a ${check} violation`);
}
