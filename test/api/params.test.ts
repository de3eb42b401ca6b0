// Integers from paths and query strings (src/api/params.ts): toInt checks the digits and the range;
// digitsToInt, for text a route's schema already matched as digits, checks the range alone and
// words its refusal exactly as toInt does.
import { expect, test } from "bun:test";
import { InvalidInputError } from "../../src/api/api-error.ts";
import { digitsToInt, DIGITS_PATTERN, toInt } from "../../src/api/params.ts";

const digits = new RegExp(DIGITS_PATTERN);

test("toInt takes plain digits in range and refuses the rest, naming the parameter and value", () => {
  expect(toInt("brokerId", "0", 0, 10)).toBe(0);
  expect(toInt("brokerId", "10", 0, 10)).toBe(10);
  for (const raw of ["", "-1", "+1", "1e3", " 1", "0x1", "11", "12345678901234567"]) {
    expect(() => toInt("brokerId", raw, 0, 10)).toThrow(InvalidInputError);
  }
  expect(() => toInt("brokerId", "abc", 0, 10)).toThrow('brokerId must be an integer from 0 to 10, got "abc"');
});

test("digitsToInt answers as toInt for every text the digits pattern lets through", () => {
  const answer = (f: () => number) => {
    try {
      return f();
    } catch (error) {
      return (error as Error).message;
    }
  };
  for (const raw of ["0", "7", "007", "10", "11", "2147483647", "2147483648", "9999999999999999"]) {
    expect(digits.test(raw)).toBe(true);
    expect(answer(() => digitsToInt("brokerId", raw, 0, 2147483647))).toEqual(answer(() => toInt("brokerId", raw, 0, 2147483647)));
  }
  expect(() => digitsToInt("brokerId", "2147483648", 0, 2147483647)).toThrow('got "2147483648"');
});
