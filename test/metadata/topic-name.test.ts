import { describe, expect, test } from "bun:test";
import { collisionKey, topicNameProblem } from "../../src/metadata/topic-name.ts";

describe("topic names", () => {
  test("legal names pass", () => {
    for (const name of ["a", "orders", "A.b_c-9", "...", "a".repeat(249)]) expect(topicNameProblem(name)).toBeNull();
  });
  test("each rule says what was wrong with which value", () => {
    expect(topicNameProblem("")).toBe("topic name is empty");
    expect(topicNameProblem(".")).toBe('topic name "." is not allowed');
    expect(topicNameProblem("..")).toBe('topic name ".." is not allowed');
    expect(topicNameProblem("a".repeat(250))).toBe("topic name of 250 characters exceeds 249");
    expect(topicNameProblem("a b")).toBe('topic name "a b" has the illegal character " "; only [a-zA-Z0-9._-] are allowed');
  });
  test("'.' and '_' collide", () => {
    expect(collisionKey("a.b_c")).toBe(collisionKey("a_b.c"));
    expect(collisionKey("a.b")).not.toBe(collisionKey("a-b"));
  });
});
